using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>A process to start: the container's init (no <see cref="ExecSpecJson"/>) or an exec.</summary>
public sealed record ProcessLaunch(ProcessKey Key, string? ExecSpecJson, bool Terminal, bool WantsStdin, bool WantsStdout, bool WantsStderr);
