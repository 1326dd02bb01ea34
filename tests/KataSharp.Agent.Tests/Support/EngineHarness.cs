using System.Text;
using KataSharp.Agent.Engine;
using KataSharp.Agent.Engine.Containers;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Engine.Rootfs;
using KataSharp.AgentCtl.Scenarios;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KataSharp.Agent.Tests.Support;

/// <summary>
/// A real <see cref="ContainerEngine"/> for one test: its own state directory under /run, its own
/// cgroup subtree (cgroup2 at /sys/fs/cgroup/unified on a cgroup v1 host: no controllers, but
/// membership, freeze and kill work), the ks-spawn helper built from agent/native.
/// Disposing removes every container and checks nothing is left behind.
/// </summary>
public sealed class EngineHarness : IDisposable
{
    /// <param name="sysDevDir">The guest's device table (<see cref="FakeSysDev"/>); default this machine's /sys/dev.</param>
    /// <param name="sysBlockDir">Where disks are found by serial (a fake /sys/block); default this machine's.</param>
    public EngineHarness(string? sysDevDir = null, string? sysBlockDir = null)
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("engine tests create namespaces and mounts: run them as root");
        }
        string name = $"ks-test-{Guid.NewGuid():N}"[..20];
        StateDir = Path.Combine("/run", name);
        CgroupMountPoint = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
        Options = new EngineOptions
        {
            StateDir = StateDir,
            CgroupMountPoint = CgroupMountPoint,
            CgroupName = name,
            SpawnHelperPath = Repository.SpawnHelper,
            ReapUnknownChildren = false,
            SysDevDir = sysDevDir ?? "/sys/dev",
            SysBlockDir = sysBlockDir ?? "/sys/block",
        };
        Engine = new ContainerEngine(Options, NullLoggerFactory.Instance);
    }

    public string StateDir { get; }

    public string CgroupMountPoint { get; }

    public EngineOptions Options { get; }

    public ContainerEngine Engine { get; }

    public static RootfsRequest Busybox => new([new LayerSpec(null, BusyboxRootfs.Path)]);

    /// <summary>Busybox with <paramref name="upper"/> (a directory of extra or replaced files, e.g. a hostile image's) on top.</summary>
    public static RootfsRequest BusyboxWith(string upper) => new([new LayerSpec(null, BusyboxRootfs.Path), new LayerSpec(null, upper)]);

    public Task<int> CreateAsync(string id, System.Text.Json.Nodes.JsonObject spec, StdioRequest? io = null, RootfsRequest? rootfs = null, NamespaceJoinRequest? join = null,
        IReadOnlyList<KataSharp.Agent.Engine.Devices.BlockVolumeRequest>? blockVolumes = null) =>
        Engine.CreateAsync(id, OciSpecs.Bytes(spec), rootfs ?? Busybox, io ?? new StdioRequest(false, true, true), Deadline.Token(60), join, blockVolumes);

    /// <summary>Creates and starts a container, collects stdout and stderr to the end, and waits for its exit.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string id, System.Text.Json.Nodes.JsonObject spec, RootfsRequest? rootfs = null,
        NamespaceJoinRequest? join = null, IReadOnlyList<KataSharp.Agent.Engine.Devices.BlockVolumeRequest>? blockVolumes = null)
    {
        await CreateAsync(id, spec, rootfs: rootfs, join: join, blockVolumes: blockVolumes);
        await Engine.StartAsync(id, Deadline.Token(30));
        ContainerProcess init = Engine.GetProcess(id, "");
        Task<string> stdout = ReadAllAsync(init.Stdio.Stdout);
        Task<string> stderr = ReadAllAsync(init.Stdio.Stderr);
        ProcessExit exit = await Engine.WaitAsync(id, "", Deadline.Token(60));
        string outText = await stdout.WaitAsync(TimeSpan.FromSeconds(30));
        string errText = await stderr.WaitAsync(TimeSpan.FromSeconds(30));
        await Engine.RemoveAsync(id, Deadline.Token(30));
        return (exit.ExitCode, outText, errText);
    }

    /// <summary>
    /// Every process on this machine, running or zombie, in this harness's cgroup subtree: every process
    /// started for its containers, since ks-spawn joins the container's cgroup before it clones the
    /// container process (and an exec's). Tests run in parallel in one test process, each with its own
    /// harness and subtree, so the processes of other tests' containers (children of this same process)
    /// never count here. A zombie keeps naming its cgroup after the cgroup is removed, so a process nobody
    /// reaped is found as well as one still running.
    /// </summary>
    public List<CgroupMember> ProcessesInItsCgroups()
    {
        var members = new List<CgroupMember>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            try
            {
                // cgroup v2's line is "0::/path", the path relative to this process's cgroup namespace.
                string? path = File.ReadLines(Path.Combine(dir, "cgroup")).FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
                if (path is not null && path.Replace(" (deleted)", "").Split('/').Contains(Options.CgroupName))
                {
                    members.Add(new CgroupMember(pid, File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n'), path));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended between listing /proc and reading its files.
            }
        }
        return members;
    }

    public static async Task<string> ReadAllAsync(OutputBuffer? buffer)
    {
        if (buffer is null)
        {
            return "";
        }
        var text = new StringBuilder();
        await foreach (byte[] chunk in buffer.ReadAllAsync(Deadline.Token(60)))
        {
            text.Append(Encoding.UTF8.GetString(chunk));
        }
        return text.ToString();
    }

    public void Dispose()
    {
        Engine.Dispose();
        string cgroup = Path.Combine(CgroupMountPoint, Options.CgroupName);
        if (Directory.Exists(StateDir))
        {
            foreach (string dir in Directory.GetDirectories(Path.Combine(StateDir, "containers")))
            {
                throw new InvalidOperationException($"container directory left behind: {dir}");
            }
            Directory.Delete(StateDir, recursive: true);
        }
        if (Directory.Exists(cgroup))
        {
            throw new InvalidOperationException($"cgroup left behind: {cgroup}");
        }
    }
}
