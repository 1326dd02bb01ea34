namespace KataSharp.Linux.Interop;

/// <summary>memfd_create(2) flags (sys/mman.h, linux/memfd.h). C names, so the layout test compares each with the header.</summary>
internal static class MemFdCalls
{
    public const uint MFD_CLOEXEC = 0x0001;
    public const uint MFD_ALLOW_SEALING = 0x0002;

    /// <summary>Linux 6.3+: say the memfd may be executed (without it, vm.memfd_noexec=1 would make it noexec). Newer than
    /// the build machine's headers (linux-libc-dev 6.1), so the layout test cannot check it.</summary>
    public const uint MFD_EXEC = 0x0010;
}
