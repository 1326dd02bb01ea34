using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Tasks;

/// <summary>An extra process to add to a running container (started later by Start).</summary>
/// <param name="ProcessSpecJson">The OCI runtime-spec Process object, as JSON.</param>
public sealed record ExecCommand(ProcessKey Key, ProcessStdio Stdio, string ProcessSpecJson);
