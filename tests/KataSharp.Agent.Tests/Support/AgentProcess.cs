using System.Diagnostics;
using Grpc.Net.Client;
using KataSharp.Agent.Protocol;
using KataSharp.AgentCtl.Connection;
using KataSharp.Linux.Processes;
using Xunit;

namespace KataSharp.Agent.Tests.Support;

/// <summary>
/// The real katasharp-agent (this build's apphost, or $KATASHARP_AGENT) in unix-socket mode, in its own UTS and mount
/// namespaces (unshare) so CreateSandbox's hostname and the container mounts stay out of the test
/// machine's. Stopped with SIGTERM, which makes it remove its containers and its cgroup subtree.
/// </summary>
public sealed class AgentProcess : IAsyncLifetime
{
    private readonly bool _ownNetwork;
    private Process? _process;

    public AgentProcess() : this(ownNetwork: false)
    {
    }

    /// <param name="ownNetwork">Also a private network namespace (unshare --net), for the pod-network RPCs.</param>
    internal AgentProcess(bool ownNetwork) => _ownNetwork = ownNetwork; // internal: xunit wants one public constructor

    /// <summary>The agent's pid (unshare execs it), e.g. for /proc/PID/ns/net.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("the agent is not running");

    public string Dir { get; } = Path.Combine("/run", $"ks-api-{Guid.NewGuid():N}"[..16]);

    public string Socket => Path.Combine(Dir, "agent.sock");

    public string StateDir => Path.Combine(Dir, "state");

    public string EtcDir => Path.Combine(Dir, "etc");

    public string CgroupName { get; } = $"ks-api-{Guid.NewGuid():N}"[..16];

    public string CgroupMountPoint { get; } = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";

    public GrpcChannel Channel { get; private set; } = null!;

    public AgentService.AgentServiceClient Client { get; private set; } = null!;

    public string Log => _log.ToString();

    private readonly System.Text.StringBuilder _log = new();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<configuration>/net10.0
        // KATASHARP_AGENT runs the same tests against another build, e.g. the NativeAOT out/bin/katasharp-agent.
        string agent = Environment.GetEnvironmentVariable("KATASHARP_AGENT")
            ?? Path.Combine(Repository.Root, "agent", "KataSharp.Agent", "bin", configuration, "net10.0", "katasharp-agent");
        // Its own directory as its working directory, as "/" is the agent's in the guest: what it does with its working
        // directory's tree is then the test's to see (AgentFileWatchTests).
        var info = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = Dir };
        foreach (string arg in (_ownNetwork ? new[] { "--net" } : []).Concat(new[] { "--uts", "--mount", "--propagation", "private", "--", agent, "--listen", $"unix:{Socket}", "--state-dir", StateDir,
            "--cgroup-root", CgroupMountPoint, "--cgroup-name", CgroupName, "--spawn-helper", Repository.SpawnHelper, "--etc-dir", EtcDir, "--log-level", "debug" }))
        {
            info.ArgumentList.Add(arg);
        }
        _process = Process.Start(info)!;
        _process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        Channel = AgentConnector.Open($"unix:{Socket}");
        Client = new AgentService.AgentServiceClient(Channel);
        var health = new Health.HealthClient(Channel);
        CancellationToken deadline = Deadline.Token(60);
        while (true)
        {
            Assert.False(_process.HasExited, $"the agent exited ({(_process.HasExited ? _process.ExitCode : 0)}): {Log}");
            if (File.Exists(Socket))
            {
                try
                {
                    await health.CheckAsync(new HealthCheckRequest(), cancellationToken: deadline);
                    return;
                }
                catch (Grpc.Core.RpcException) when (!deadline.IsCancellationRequested)
                {
                }
            }
            await Task.Delay(50, deadline);
        }
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                ProcessSignal.Send(_process.Id, ProcessSignal.SIGTERM);
            }
            await _process.WaitForExitAsync(Deadline.Token(60));
            _process.Dispose();
        }
        Assert.False(Directory.Exists(Path.Combine(CgroupMountPoint, CgroupName)), $"the agent left its cgroup subtree behind: {Log}");
        if (Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }
    }
}
