using KataSharp.Linux.Terminals;

namespace KataSharp.Agent.Engine.Plans;

/// <summary>A validated OCI process: everything ks-spawn needs to start it, already resolved to numbers.</summary>
public sealed record ProcessPlan
{
    public required IReadOnlyList<string> Args { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public required string Cwd { get; init; }
    public required uint Uid { get; init; }
    public required uint Gid { get; init; }
    public IReadOnlyList<uint> AdditionalGids { get; init; } = [];
    /// <summary>A user name still to be resolved against the container's /etc/passwd (Kata's StringUser).</summary>
    public string? Username { get; init; }
    public uint? Umask { get; init; }
    /// <summary>Null only for the debug console's host-mode shell (keeps the agent's); a container process always has sets (empty when the spec names none).</summary>
    public CapabilitySets? Capabilities { get; init; }
    public IReadOnlyList<RlimitPlan> Rlimits { get; init; } = [];
    public bool NoNewPrivileges { get; init; }
    public bool Terminal { get; init; }
    public TerminalSize? ConsoleSize { get; init; }
    public int? OomScoreAdj { get; init; }
}
