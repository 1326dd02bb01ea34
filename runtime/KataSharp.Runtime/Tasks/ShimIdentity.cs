namespace KataSharp.Runtime.Tasks;

/// <summary>Who this shim is, as persisted for a later `delete`: namespace, pid, kernel start time, socket.</summary>
public sealed record ShimIdentity(string Namespace, int Pid, ulong StartTime, string SocketPath);
