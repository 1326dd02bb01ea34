using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Tasks;

/// <summary>A snapshot of one process for State.</summary>
public sealed record ProcessView(ProcessKey Key, string Bundle, uint Pid, ProcessState State, ProcessStdio Stdio, ExitStatus? Exit);
