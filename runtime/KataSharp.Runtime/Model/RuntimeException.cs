namespace KataSharp.Runtime.Model;

/// <summary>The runtime's one exception type; the ttrpc edge maps <see cref="Error"/> to a status code.</summary>
public sealed class RuntimeException : Exception
{
    public RuntimeException(RuntimeError error, string message, Exception? inner = null) : base(message, inner)
    {
        Error = error;
    }

    public RuntimeError Error { get; }
}
