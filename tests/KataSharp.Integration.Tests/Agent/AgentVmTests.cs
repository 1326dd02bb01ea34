using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Agent;

/// <summary>
/// The whole guest side: katasharp-vmm boots our kernel with the agent initrd inside the test host;
/// the host side connects through the hybrid vsock socket (CONNECT 1024) and runs a busybox
/// container whose only layer is an erofs disk found by its virtio-blk serial.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class AgentVmTests(TestHostFixture fixture)
{
    private static readonly SharedRun Run = new();

    private Task<Dictionary<string, string>> RunAsync() =>
        Run.ValuesAsync(async () => await BareVmRun.RunAsync(fixture, await ScriptAsync(), AgentArtifacts.RunTimeout));

    /// <summary>Boots the VM, waits for the agent, runs a scenario through hvsock, powers the guest off.
    /// Shared with the benchmark (tests/bench).</summary>
    public static async Task<string> ScriptAsync(string scenario = "vm-check")
    {
        string vmm = await Vmm.VmmArtifacts.KatasharpVmmAsync(), ctl = await AgentArtifacts.AgentCtlAsync();
        string kernel = await AgentArtifacts.VmlinuxAsync(), initrd = await AgentArtifacts.InitrdPathAsync(), layer = await AgentArtifacts.BusyboxLayerAsync();
        return $$"""
            d=$(mktemp -d)
            trap 'kill $vmm_pid 2>/dev/null; rm -rf $d' EXIT
            start=$(date +%s%N)
            {{vmm}} --kernel {{kernel}} --initrd {{initrd}} --memory 1024 --vcpus 2 \
              --disk {{layer}},ro,serial=layer0 --vsock-socket $d/v.sock --cid 3 \
              --cmdline "console=ttyS0 reboot=k panic=-1 katasharp.log=info" >$d/console 2>$d/stderr &
            vmm_pid=$!
            ready=0
            for i in $(seq 1200); do
              if {{ctl}} --agent hvsock:$d/v.sock:1024 --timeout 10 health >/dev/null 2>&1; then ready=1; break; fi
              kill -0 $vmm_pid 2>/dev/null || break
              sleep 0.1
            done
            echo "vm_start_to_agent_ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
            echo "agent_ready=$ready"
            [ $ready = 1 ] || { cat $d/console >&2; cat $d/stderr >&2; exit 1; }
            # katasharp-vmm's own account (a guest crash, a triple fault) goes with every outcome.
            {{ctl}} --agent hvsock:$d/v.sock:1024 --layer-serial layer0 --timeout 1200 {{scenario}} || { echo "scenario_failed=1"; tail -50 $d/console >&2; cat $d/stderr >&2; exit 1; }
            {{ctl}} --agent hvsock:$d/v.sock:1024 --timeout 60 poweroff
            wait $vmm_pid
            echo "vmm_exit=$?"
            echo "initrd_bytes=$(stat -c %s {{initrd}})"
            tail -40 $d/console >&2
            cat $d/stderr >&2
            """;
    }

    [Fact]
    public async Task GuestRunsOurKernel_AndTheAgentAnswersOverVsock()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("1", v["agent_ready"]);
        Assert.Equal(await AgentArtifacts.KernelReleaseAsync(), v["kernel_release"]);
        Assert.Equal(v["kernel_release"], v["container_uname"]);
        Assert.EndsWith("-katasharp", v["kernel_release"]);
    }

    [Fact]
    public async Task BusyboxFromAnErofsLayer_PrintsReadsStdinAndExits3()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("hello from the guest", v["hello_stdout"]);
        Assert.Equal("0", v["hello_exit"]);
        Assert.Equal("got:ping", v["stdin_stdout"]);
        Assert.Equal("3", v["exit3_code"]);
    }

    [Fact]
    public async Task Sigkill_Gives137_AfterFiftySequentialExecs()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("50", v["execs_ok"]);
        Assert.Equal("137", v["sigkill_code"]);
    }

    [Fact]
    public async Task DestroySandboxWithPowerOff_EndsTheVm()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("0", v["vmm_exit"]);
    }
}
