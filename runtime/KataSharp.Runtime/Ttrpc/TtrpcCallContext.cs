namespace KataSharp.Runtime.Ttrpc;

/// <summary>What a handler knows about the call besides its request message.</summary>
public sealed record TtrpcCallContext(
    string Service,
    string Method,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    CancellationToken CancellationToken)
{
    /// <summary>The metadata key containerd puts on every call to a shim (namespaces/ttrpc.go).</summary>
    public const string NamespaceKey = "containerd-namespace-ttrpc";

    /// <summary>The containerd namespace of the caller, or null when it sent none.</summary>
    public string? Namespace => Metadata.FirstOrDefault(kv => kv.Key == NamespaceKey).Value;
}
