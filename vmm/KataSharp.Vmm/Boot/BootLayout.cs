namespace KataSharp.Vmm.Boot;

/// <summary>Where the boot loader put everything, for tests and diagnostics.</summary>
/// <param name="Entry">Guest-physical 64-bit entry point (RIP at start).</param>
/// <param name="ZeroPage">Address of boot_params (RSI at start).</param>
/// <param name="CmdlineAddress">Address of the NUL-terminated command line.</param>
/// <param name="Cmdline">The command line text.</param>
/// <param name="InitrdAddress">Initrd load address, 0 without an initrd.</param>
/// <param name="InitrdSize">Initrd size in bytes, 0 without an initrd.</param>
/// <param name="E820">The memory map handed to the kernel.</param>
public sealed record BootLayout(ulong Entry, ulong ZeroPage, ulong CmdlineAddress, string Cmdline,
    ulong InitrdAddress, ulong InitrdSize, IReadOnlyList<E820Entry> E820);
