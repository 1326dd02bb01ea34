using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Boot;

/// <summary>The kernel, initrd or command line cannot be booted; the message names the file and the fix.</summary>
public sealed class BootException : VmmException
{
    public BootException(BootError error, string message, Exception? inner = null)
        : base(VmmFailure.BadConfiguration, message, inner)
    {
        Error = error;
    }

    public BootError Error { get; }
}
