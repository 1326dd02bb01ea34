using KataSharp.Agent.Engine.Plans;

namespace KataSharp.Agent.Engine.Spec;

/// <summary>Resolves process.user.username against the container's /etc/passwd (read from the prepared root filesystem).</summary>
public static class UserResolver
{
    public static ProcessPlan Resolve(ProcessPlan process, string rootfs, string field)
    {
        if (process.Username is not string name)
        {
            return process;
        }
        string passwd = Path.Combine(rootfs, "etc", "passwd");
        // A symlinked /etc/passwd could point outside the container's tree; refuse rather than follow.
        if (!File.Exists(passwd) || new FileInfo(passwd).LinkTarget is not null)
        {
            throw AgentException.Invalid($"{field}.user.username", $"user '{name}' cannot be looked up: the container has no regular /etc/passwd");
        }
        foreach (string line in File.ReadLines(passwd))
        {
            string[] f = line.Split(':');
            if (f.Length >= 4 && f[0] == name && uint.TryParse(f[2], out uint uid) && uint.TryParse(f[3], out uint gid))
            {
                return process with { Uid = uid, Gid = gid, Username = null };
            }
        }
        throw AgentException.Invalid($"{field}.user.username", $"user '{name}' is not in the container's /etc/passwd");
    }
}
