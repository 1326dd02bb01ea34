namespace KataSharp.Fuzz;

/// <summary>A broken invariant a target detected itself (e.g. an event loop that never goes idle).</summary>
internal sealed class FuzzFindingException(FindingKind kind, string message) : Exception(message)
{
    public FindingKind Kind { get; } = kind;
}
