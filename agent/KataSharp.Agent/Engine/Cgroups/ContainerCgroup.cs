using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Cgroups;

/// <summary>One container's cgroup v2 leaf: limits (from OCI resources), freeze, kill, stats, removal.</summary>
public sealed class ContainerCgroup
{
    private readonly CgroupRoot _root;

    private ContainerCgroup(CgroupRoot root, string path)
    {
        _root = root;
        Path = path;
    }

    public string Path { get; }

    public string ProcsFile => File("cgroup.procs");

    public string EventsFile => File("cgroup.events");

    public string MemoryEventsFile => File("memory.events");

    public bool HasController(string name) => _root.Controllers.Contains(name);

    internal static ContainerCgroup Create(CgroupRoot root, string path)
    {
        if (Directory.Exists(path))
        {
            throw AgentException.AlreadyExists($"cgroup {path} already exists");
        }
        Directory.CreateDirectory(path);
        return new ContainerCgroup(root, path);
    }

    /// <summary>Applies OCI resources translated to cgroup v2 files (runc's v1→v2 conversions).</summary>
    public void Apply(OciResources? resources, string field)
    {
        foreach ((string file, string value, string source) in CgroupResources.ToFiles(resources, field))
        {
            string controller = file.Split('.')[0];
            if (controller != "cgroup" && !HasController(controller))
            {
                throw AgentException.FailedPrecondition(
                    $"{source} needs the {controller} cgroup controller, which is not enabled in {_root.Path} (enabled: {string.Join(' ', _root.Controllers)})");
            }
            try
            {
                System.IO.File.WriteAllText(File(file), value);
            }
            catch (IOException e)
            {
                throw AgentException.Invalid(source, $"writing '{value}' to {file} failed: {e.Message}");
            }
        }
    }

    /// <summary>Sets cgroup.freeze and waits until cgroup.events reports the new state.</summary>
    public async Task SetFrozenAsync(bool frozen, CancellationToken cancellationToken)
    {
        System.IO.File.WriteAllText(File("cgroup.freeze"), frozen ? "1" : "0");
        string want = frozen ? "frozen 1" : "frozen 0";
        await CgroupEvents.WaitForAsync(_root.Poller, EventsFile, text => text.Contains(want, StringComparison.Ordinal), TimeSpan.FromSeconds(10), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>SIGKILLs every process in the cgroup (cgroup.kill, Linux 5.14+); false when unsupported.</summary>
    public bool KillAll()
    {
        string kill = File("cgroup.kill");
        if (!System.IO.File.Exists(kill))
        {
            return false;
        }
        System.IO.File.WriteAllText(kill, "1");
        return true;
    }

    public IReadOnlyList<int> Pids() =>
        System.IO.File.ReadAllText(ProcsFile).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();

    /// <summary>Waits until no process is left in the cgroup, then removes it.</summary>
    public async Task RemoveAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path))
        {
            return;
        }
        await CgroupEvents.WaitForAsync(_root.Poller, EventsFile, text => text.Contains("populated 0", StringComparison.Ordinal), TimeSpan.FromSeconds(10), cancellationToken)
            .ConfigureAwait(false);
        Directory.Delete(Path);
    }

    public CgroupStatistics ReadStats() => CgroupStatistics.Read(Path);

    private string File(string name) => System.IO.Path.Combine(Path, name);
}
