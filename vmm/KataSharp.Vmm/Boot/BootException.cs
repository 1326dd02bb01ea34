namespace KataSharp.Vmm.Boot;

/// <summary>The kernel, initrd or command line cannot be booted; the message names the file and the fix.</summary>
public sealed class BootException : Exception
{
    public BootException(BootError error, string message, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
    }

    public BootError Error { get; }
}
