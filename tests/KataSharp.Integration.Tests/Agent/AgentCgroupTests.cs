using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Agent;

/// <summary>
/// cgroup v2 behaviour of the container engine, where v2 controllers exist: the test host's L1
/// (Debian kernel, cgroup2 with every controller enabled). The NativeAOT agent runs there in
/// unix-socket mode and katasharp-agentctl drives it; the assertions are made here on what it printed.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class AgentCgroupTests(TestHostFixture fixture)
{
    private static readonly SharedRun Run = new();

    private Task<Dictionary<string, string>> RunAsync() =>
        Run.ValuesAsync(async () => await fixture.RunAsync(await ScriptAsync(), AgentArtifacts.RunTimeout));

    private static async Task<string> ScriptAsync()
    {
        string agent = await AgentArtifacts.AgentAsync(), ctl = await AgentArtifacts.AgentCtlAsync(), spawn = await AgentArtifacts.SpawnHelperAsync();
        return $$"""
            set -e
            d=$(mktemp -d)
            trap 'kill -TERM $agent_pid 2>/dev/null || true; wait $agent_pid 2>/dev/null || true; rm -rf $d' EXIT
            {{ctl}} make-rootfs $d/rootfs
            {{agent}} --listen unix:$d/agent.sock --state-dir $d/state --spawn-helper {{spawn}} --etc-dir $d/etc --cgroup-name ks-cgroup-test 2>$d/agent.log &
            agent_pid=$!
            for i in $(seq 300); do
              {{ctl}} --agent unix:$d/agent.sock --timeout 5 health >/dev/null 2>&1 && break
              kill -0 $agent_pid || { cat $d/agent.log >&2; exit 1; }
              sleep 0.2
            done
            {{ctl}} --agent unix:$d/agent.sock --rootfs-dir $d/rootfs --timeout 600 cgroup-check || { cat $d/agent.log >&2; exit 1; }
            kill -TERM $agent_pid; wait $agent_pid || true
            echo "cgroup_left=$(ls -d /sys/fs/cgroup/ks-cgroup-test 2>/dev/null | wc -l)"
            echo "mounts_left=$(grep -c $d/state /proc/self/mountinfo || true)"
            cat $d/agent.log >&2
            """;
    }

    [Fact]
    public async Task MemoryLimit_EndsInAnOomKill_ReportedOnTheEventStream()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Contains("memory", v["controllers"].Split(','));
        Assert.Equal("oom", v["oom_event_container"]);
        Assert.True(ulong.Parse(v["oom_event_kills"]) >= 1);
        Assert.Equal("137", v["oom_exit_code"]);
    }

    [Fact]
    public async Task PidsLimit_StopsForks_AndStatsReportIt()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("forked", v["pids_stdout"]);
        Assert.Equal("1", v["pids_exec_refused"]);
        Assert.Contains("EAGAIN", v["pids_exec_error"]);
        Assert.Equal("5", v["stats_pids_limit"]);
        Assert.Equal("5", v["stats_pids_current"]);
    }

    [Fact]
    public async Task Stats_ReportLimitsAndUsage_AndUpdateChangesTheLimit()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal((64L << 20).ToString(), v["stats_memory_limit"]);
        Assert.True(ulong.Parse(v["stats_memory_usage"]) > 0);
        Assert.True(int.Parse(v["stats_memory_stat_keys"]) > 10);
        Assert.True(ulong.Parse(v["stats_cpu_usage_usec"]) > 0);
        Assert.Equal((96L << 20).ToString(), v["updated_memory_limit"]);
    }

    [Fact]
    public async Task PauseAndResume_FreezeAndThawTheContainer()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("Paused", v["paused_state"]);
        Assert.Equal("Running", v["resumed_state"]);
    }

    [Fact]
    public async Task Removal_LeavesNoContainersCgroupsOrMounts()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("0", v["containers_left"]);
        Assert.Equal("0", v["cgroup_left"]);
        Assert.Equal("0", v["mounts_left"]);
    }
}
