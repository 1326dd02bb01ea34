namespace KataSharp.Agent.Engine.Processes;

/// <summary>Which stdio streams the caller will attach; the others are /dev/null in the process.</summary>
public sealed record StdioRequest(bool Stdin, bool Stdout, bool Stderr)
{
    public static StdioRequest None { get; } = new(false, false, false);
}
