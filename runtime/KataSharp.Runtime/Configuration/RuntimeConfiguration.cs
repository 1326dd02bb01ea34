namespace KataSharp.Runtime.Configuration;

/// <summary>The parsed and validated configuration.toml, and where it came from.</summary>
public sealed record RuntimeConfiguration(HypervisorSettings Hypervisor, AgentSettings Agent, RuntimeSettings Runtime, string SourcePath);
