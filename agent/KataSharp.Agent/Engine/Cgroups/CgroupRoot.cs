using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Cgroups;

/// <summary>
/// The agent's cgroup v2 subtree (&lt;root&gt;/&lt;name&gt;), under which each container gets a leaf.
/// Controllers available in the root are enabled for the subtree. Without cgroup v2 (a cgroup v1
/// host running tests) <see cref="IsAvailable"/> is false and resource requests fail clearly.
/// </summary>
public sealed class CgroupRoot
{
    private const long Cgroup2SuperMagic = 0x63677270;

    public CgroupRoot(string mountPoint, string name, FdPoller poller)
    {
        Poller = poller;
        MountPoint = mountPoint;
        Path = System.IO.Path.Combine(mountPoint, name);
        IsAvailable = File.Exists(System.IO.Path.Combine(mountPoint, "cgroup.controllers"));
        if (!IsAvailable)
        {
            return;
        }
        Directory.CreateDirectory(Path);
        // The root cgroup may hand controllers down (it is exempt from "no internal processes");
        // ks-init enables them at boot, this covers an agent started by another init.
        foreach (string controller in Read(mountPoint, "cgroup.controllers").Except(Read(mountPoint, "cgroup.subtree_control")))
        {
            TryEnable(mountPoint, controller);
        }
        string[] wanted = Read(mountPoint, "cgroup.subtree_control");
        // Enabling needs the parent's subtree_control to have them; each write may fail for one
        // controller (e.g. cpuset with no cpus) without affecting the others.
        foreach (string controller in wanted)
        {
            TryEnable(Path, controller);
        }
        Controllers = Read(Path, "cgroup.subtree_control");
    }

    public string MountPoint { get; }

    internal FdPoller Poller { get; }

    /// <summary>The agent's subtree; container cgroups are its children.</summary>
    public string Path { get; }

    public bool IsAvailable { get; }

    /// <summary>Controllers enabled for container cgroups (memory, cpu, pids, cpuset, io...).</summary>
    public IReadOnlyList<string> Controllers { get; } = [];

    public ContainerCgroup CreateFor(string containerId)
    {
        if (!IsAvailable)
        {
            throw AgentException.FailedPrecondition($"cgroup v2 is not mounted at {MountPoint}");
        }
        return ContainerCgroup.Create(this, System.IO.Path.Combine(Path, containerId));
    }

    /// <summary>Removes the agent's subtree if no container cgroup is left (tests clean up after themselves).</summary>
    public void RemoveIfEmpty()
    {
        if (IsAvailable && Directory.Exists(Path) && Directory.GetDirectories(Path).Length == 0)
        {
            try
            {
                Directory.Delete(Path);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void TryEnable(string dir, string controller)
    {
        try
        {
            File.WriteAllText(System.IO.Path.Combine(dir, "cgroup.subtree_control"), $"+{controller}");
        }
        catch (IOException)
        {
        }
    }

    private static string[] Read(string dir, string file)
    {
        string path = System.IO.Path.Combine(dir, file);
        return File.Exists(path) ? File.ReadAllText(path).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];
    }
}
