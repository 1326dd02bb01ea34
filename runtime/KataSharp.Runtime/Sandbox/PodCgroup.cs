using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The pod's cgroup (v2) as the shim's home, like Kata's sandbox_cgroup_only: the sandbox container's
/// linux.cgroupsPath (what runc would have made for the pause process) is created and the whole shim
/// process moves into it before the VM exists, so every page of guest RAM, every vCPU thread and every
/// helper it runs (mkfs.erofs) is charged to the pod, and kubelet's pod limits (containers + RuntimeClass
/// overhead) hold the VM. As runc does when it makes a container's cgroup, the controllers that account a
/// VM (cpu, io, memory, pids) are enabled in every ancestor's cgroup.subtree_control on the way down, so the
/// leaf has memory.current and friends even where no kubelet prepared the path (containerd alone, ctr).
/// On stop the shim moves back to the root cgroup and removes the leaf; the ancestors keep their
/// controllers (kubelet and runc leave them enabled too).
/// </summary>
public sealed class PodCgroup
{
    public const string DefaultRoot = "/sys/fs/cgroup";

    /// <summary>What the VM uses and a pod's limits are made of: RAM, vCPU time, disk I/O, threads.</summary>
    public static readonly IReadOnlyList<string> AccountingControllers = ["cpu", "io", "memory", "pids"];

    private readonly string _root;

    private PodCgroup(string root, string path)
    {
        _root = root;
        Path = path;
    }

    /// <summary>The cgroup directory the shim lives in.</summary>
    public string Path { get; }

    /// <summary>
    /// The host directory for an OCI linux.cgroupsPath: "/a/b" (cgroupfs, relative to the root) or
    /// "parent.slice:prefix:name" (systemd: the slice's ancestors expanded, the unit is "prefix-name.scope").
    /// </summary>
    public static string HostPath(string cgroupsPath, string root = DefaultRoot)
    {
        string relative = cgroupsPath.Contains(':') ? SystemdPath(cgroupsPath) : cgroupsPath.Trim('/');
        if (relative.Length == 0 || relative.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"linux.cgroupsPath \"{cgroupsPath}\" is not a cgroup path below the root");
        }
        return System.IO.Path.Combine(root, relative);
    }

    /// <summary>
    /// Moves this process into the pod's cgroup. Null (with a log line) when the host has no cgroup v2
    /// at <paramref name="root"/>; a cgroup that cannot be joined fails, naming the key that turns this off.
    /// </summary>
    public static PodCgroup? Join(string cgroupsPath, RuntimeLog log, string root = DefaultRoot)
    {
        if (!File.Exists(System.IO.Path.Combine(root, "cgroup.controllers")))
        {
            log.Warn($"no cgroup v2 hierarchy at {root}: the shim stays in its own cgroup (the pod's cgroup {cgroupsPath} is not charged for the VM)");
            return null;
        }
        string path = HostPath(cgroupsPath, root);
        try
        {
            Directory.CreateDirectory(path);
            EnableControllersAbove(root, path, log);
            File.WriteAllText(System.IO.Path.Combine(path, "cgroup.procs"), $"{Environment.ProcessId}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException(RuntimeError.FailedPrecondition,
                $"cannot move the shim into the pod's cgroup {path} ({e.Message}); set [runtime] sandbox_cgroup = false to keep it in containerd's cgroup");
        }
        log.Info($"shim moved into the pod's cgroup {path}");
        return new PodCgroup(root, path);
    }

    /// <summary>
    /// Enables <see cref="AccountingControllers"/> in the subtree_control of the root and of every cgroup between
    /// it and <paramref name="leaf"/> (not in the leaf: it holds the shim, and the no-internal-processes rule
    /// keeps controllers out of a populated non-root cgroup's subtree). Each level offers what its parent enabled
    /// (its cgroup.controllers); a controller the host lacks is left out. A level that refuses (a parent with
    /// processes of its own, a delegated subtree) costs only that accounting: logged, not fatal.
    /// </summary>
    private static void EnableControllersAbove(string root, string leaf, RuntimeLog log)
    {
        string relative = System.IO.Path.GetRelativePath(root, leaf);
        string[] parts = relative.Split(System.IO.Path.DirectorySeparatorChar);
        string level = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string offered = System.IO.Path.Combine(level, "cgroup.controllers");
            if (File.Exists(offered))
            {
                HashSet<string> available = [.. File.ReadAllText(offered).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
                string[] wanted = [.. AccountingControllers.Where(available.Contains)];
                if (wanted.Length > 0 && !TryEnable(level, wanted, out string error))
                {
                    log.Warn($"cannot enable controllers in {level}'s subtree ({error}): the pod's cgroup {leaf} does not account the VM by those");
                }
            }
            level = System.IO.Path.Combine(level, parts[i]);
        }
    }

    /// <summary>All at once, then one by one (the kernel takes a write whole or not at all) so one refusal spares the rest.</summary>
    private static bool TryEnable(string cgroup, string[] controllers, out string error)
    {
        string control = System.IO.Path.Combine(cgroup, "cgroup.subtree_control");
        error = "";
        try
        {
            File.WriteAllText(control, string.Join(' ', controllers.Select(c => "+" + c)));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
        }
        var refused = new List<string>();
        foreach (string controller in controllers)
        {
            try
            {
                File.WriteAllText(control, "+" + controller);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                refused.Add(controller);
                error = e.Message;
            }
        }
        error = $"{string.Join(", ", refused)} refused: {error}";
        return refused.Count == 0;
    }

    /// <summary>Back to the root cgroup (exempt from the no-internal-processes rule), then the leaf goes. Best effort.</summary>
    public void Leave(RuntimeLog log)
    {
        try
        {
            File.WriteAllText(System.IO.Path.Combine(_root, "cgroup.procs"), $"{Environment.ProcessId}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"cannot leave the pod's cgroup {Path}: {e.Message}");
            return;
        }
        Remove(Path, log);
    }

    /// <summary>Removes an empty pod cgroup (also after a shim that died in it). Best effort.</summary>
    public static void Remove(string path, RuntimeLog log)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"cannot remove the pod's cgroup {path}: {e.Message}");
        }
    }

    /// <summary>systemd's "slice:prefix:name" as a path: a-b-c.slice lives in a.slice/a-b.slice/a-b-c.slice.</summary>
    private static string SystemdPath(string cgroupsPath)
    {
        string[] parts = cgroupsPath.Split(':');
        if (parts.Length != 3 || parts[2].Length == 0 || (parts[0].Length > 0 && !parts[0].EndsWith(".slice", StringComparison.Ordinal)))
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"linux.cgroupsPath \"{cgroupsPath}\" is neither a path nor systemd's slice:prefix:name");
        }
        var directories = new List<string>();
        string slice = parts[0];
        if (slice.Length > 0 && slice != "-.slice")
        {
            string name = slice[..^".slice".Length];
            string[] words = name.Split('-');
            for (int i = 1; i <= words.Length; i++)
            {
                directories.Add(string.Join('-', words[..i]) + ".slice");
            }
        }
        string unit = parts[1].Length > 0 ? $"{parts[1]}-{parts[2]}" : parts[2];
        directories.Add(unit.EndsWith(".slice", StringComparison.Ordinal) ? unit : unit + ".scope");
        return string.Join('/', directories);
    }
}
