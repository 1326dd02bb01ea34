using KataSharp.Agent.Errors;
using KataSharp.Linux;

namespace KataSharp.Agent.Engine.Spawning;

/// <summary>An error record from ks-spawn: the step, the item index within it, and errno.</summary>
public sealed record SpawnFailure(SpawnStep Step, int Index, int Errno)
{
    /// <summary>Turns the failure into an <see cref="AgentException"/>; steps that a spec field controls become
    /// InvalidArgument naming that field, the rest Internal.</summary>
    public AgentException ToException(string fieldPrefix = "")
    {
        string why = ErrnoText.Describe(Errno);
        string? field = Step switch
        {
            SpawnStep.Mount => $"mounts[{Index}]",
            SpawnStep.MaskPath => $"linux.maskedPaths[{Index}]",
            SpawnStep.CheckDevNull => "linux.maskedPaths",
            SpawnStep.ReadonlyPath => $"linux.readonlyPaths[{Index}]",
            SpawnStep.Sysctl => "linux.sysctl",
            SpawnStep.Rlimit => $"{fieldPrefix}process.rlimits[{Index}]",
            SpawnStep.ResolveExecutable => $"{fieldPrefix}process.args[0]",
            SpawnStep.Cwd => $"{fieldPrefix}process.cwd",
            SpawnStep.Device => "linux.devices",
            SpawnStep.Hostname => "hostname",
            SpawnStep.Seccomp when Errno == (int)Linux.Errno.EINVAL => "linux.seccomp",
            SpawnStep.Exec => $"{fieldPrefix}process.args[0]",
            _ => null,
        };
        string message = Step switch
        {
            SpawnStep.ResolveExecutable => $"the program was not found or is not executable in the container: {why}",
            SpawnStep.Exec => $"execve failed: {why}",
            SpawnStep.CheckDevNull when Errno == (int)Linux.Errno.ENODEV =>
                "masked paths are covered with the container's /dev/null, which is not the null character device (1:3); remove the image's /dev/null or mount a tmpfs at /dev",
            _ => $"container setup step {Step} (item {Index}) failed: {why}",
        };
        return field is null ? AgentException.Internal(message) : AgentException.Invalid(field, message);
    }
}
