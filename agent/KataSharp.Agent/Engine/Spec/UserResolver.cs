using System.Text;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.Agent.Engine.Spec;

/// <summary>Resolves process.user.username against the container's /etc/passwd (read from the prepared root filesystem).</summary>
public static class UserResolver
{
    /// <summary>Far above any real passwd file; the agent must not read an image's arbitrarily large one.</summary>
    public const int MaxPasswdBytes = 4 << 20;

    public static ProcessPlan Resolve(ProcessPlan process, string rootfs, string field)
    {
        if (process.Username is not string name)
        {
            return process;
        }
        // The image controls this file: resolved inside the root (a symlink cannot lead into the guest),
        // and neither a FIFO (blocks) nor a device or huge file (never ends, exhausts memory) is read.
        byte[] passwd;
        try
        {
            passwd = SmallFile.ReadInRoot(rootfs, "etc/passwd", MaxPasswdBytes);
        }
        catch (LinuxException e)
        {
            throw AgentException.Invalid($"{field}.user.username", $"user '{name}' cannot be looked up in the container's /etc/passwd: {e.Message}");
        }
        foreach (string line in Encoding.UTF8.GetString(passwd).Split('\n'))
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
