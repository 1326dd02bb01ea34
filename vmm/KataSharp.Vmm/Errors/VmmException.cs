namespace KataSharp.Vmm.Errors;

/// <summary>
/// The one base of the VMM's exceptions, so a caller (the shim, katasharp-vmm) catches one type and decides by
/// <see cref="Failure"/> instead of listing every area's exception. The areas keep their own subclasses for what only
/// they carry (a boot error code, a KVM error, the option at fault); a failed syscall met while creating or
/// driving a machine reaches the MicroVm front door's caller as a VmmException of
/// <see cref="VmmFailure.HostFailure"/> wrapping the LinuxException (call and errno).
/// </summary>
public class VmmException : Exception
{
    public VmmException(VmmFailure failure, string message, Exception? inner = null, string? option = null)
        : base(message, inner)
    {
        Failure = failure;
        Option = option;
    }

    public VmmFailure Failure { get; }

    /// <summary>The setting at fault when there is one, as the builder and the CLI call it ("vcpus", "memory", "kernel").</summary>
    public string? Option { get; }
}
