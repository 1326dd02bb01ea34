namespace KataSharp.Vmm.Errors;

/// <summary>Whose the problem is, which decides what a caller answers (bad input, host trouble, a misbehaving guest).</summary>
public enum VmmFailure
{
    /// <summary>The caller's settings or files (a memory size, a kernel image, a disk path, a tap): fix the configuration.</summary>
    BadConfiguration,

    /// <summary>This host cannot do it now (no usable KVM, a failed syscall): not the configuration's fault.</summary>
    HostFailure,

    /// <summary>Something the guest handed us (an address, a descriptor) is invalid: the device refuses that request.</summary>
    GuestFault,
}
