using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.TestTool;

/// <summary>Asks /dev/kvm what it is, through KataSharp.Linux's one ioctl entry point.</summary>
internal static class KvmProbe
{
    /// <summary>KVMIO, the ioctl type of every /dev/kvm request (include/uapi/linux/kvm.h).</summary>
    private const uint KvmIo = 0xAE;

    /// <summary>KVM_GET_API_VERSION = _IO(KVMIO, 0x00); the stable API answers 12.</summary>
    private static readonly uint KvmGetApiVersion = IoctlNumber.Io(KvmIo, 0x00);

    public static int ApiVersion(string device)
    {
        using FileDescriptor kvm = FileDescriptor.Open(device, (int)OpenFlags.ReadWrite);
        return Ioctl.Invoke(kvm, KvmGetApiVersion, 0, "KVM_GET_API_VERSION");
    }
}
