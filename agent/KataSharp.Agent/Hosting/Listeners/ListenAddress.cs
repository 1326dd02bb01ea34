namespace KataSharp.Agent.Hosting.Listeners;

/// <summary>Where the gRPC server listens: a guest vsock port, or a unix socket path (host-side tests).</summary>
public sealed record ListenAddress(uint? VsockPort, string? UnixPath)
{
    public static ListenAddress Parse(string text)
    {
        if (text.StartsWith("vsock:", StringComparison.Ordinal) && uint.TryParse(text.AsSpan(6), out uint port))
        {
            return new ListenAddress(port, null);
        }
        if (text.StartsWith("unix:", StringComparison.Ordinal) && text.Length > 5 && text[5] == '/')
        {
            return new ListenAddress(null, text[5..]);
        }
        throw new ArgumentException($"--listen '{text}' is neither vsock:<port> nor unix:<absolute path>");
    }

    public override string ToString() => VsockPort is uint p ? $"vsock:{p}" : $"unix:{UnixPath}";
}
