namespace KataSharp.Agent.Tests.Support;

/// <summary>A process (live or zombie) found in an engine harness's cgroup subtree; <paramref name="Cgroup"/> is its
/// cgroup v2 path as /proc/PID/cgroup shows it (" (deleted)" once the cgroup is removed).</summary>
public sealed record CgroupMember(int Pid, string Comm, string Cgroup);
