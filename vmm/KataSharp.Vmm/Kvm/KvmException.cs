using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Kvm;

/// <summary>KVM is unusable for a reason the user can fix; the message says how.
/// Plain ioctl failures surface as <see cref="KataSharp.Linux.LinuxException"/> (call + errno).</summary>
public sealed class KvmException : VmmException
{
    public KvmException(KvmError error, string message, Exception? inner = null)
        : base(VmmFailure.HostFailure, message, inner)
    {
        Error = error;
    }

    public KvmError Error { get; }
}
