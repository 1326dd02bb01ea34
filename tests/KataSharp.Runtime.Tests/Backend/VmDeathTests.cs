using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Shim.Backend;
using KataSharp.Vmm.Lifecycle;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>
/// The real VM backend against a fake VM and a fake agent (gRPC over a unix socket): a VM that dies,
/// or a guest that stops answering, must end every call waiting on it, release the VM, and say why.
/// </summary>
public sealed class VmDeathTests : IAsyncLifetime
{
    private static readonly ProcessKey Init = new("c1", null);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new("ks-vmdeath");
    private readonly StringWriter _logText = new();
    private RuntimeLog? _log;
    private FakeAgentServer _agent = null!;
    private FakeGuestVm _vm = null!;

    public async Task InitializeAsync()
    {
        _agent = await FakeAgentServer.StartAsync(_directory.Combine("agent.sock"));
        _vm = new FakeGuestVm(_agent.SocketPath, _directory.Combine("vsock.sock"));
    }

    public async Task DisposeAsync()
    {
        _vm.Dispose();
        _log?.Dispose();
        await _agent.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_vm_that_dies_ends_the_waits_and_streams_of_its_running_processes_and_is_released_at_once()
    {
        await using var backend = await BootAsync();
        ProcessStreams streams = await StartInitAsync(backend);
        Task<uint> wait = backend.WaitProcessAsync(Init, CancellationToken.None);
        await _agent.Service.WaitStarted.WaitAsync(Bound);
        Task<int> read = streams.Stdout!.ReadAsync(new byte[16]).AsTask();

        _vm.Die();

        var waitFailure = await Assert.ThrowsAsync<RuntimeException>(() => wait.WaitAsync(Bound));
        Assert.Equal(RuntimeError.Unavailable, waitFailure.Error);
        Assert.Contains("GuestPanic", waitFailure.Message);
        await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(Bound));
        await backend.Exited.WaitAsync(Bound);
        Assert.True(_vm.Disposed, "the dead VM's resources were not released");
        string log = LogText();
        Assert.Contains("sandbox VM exited: GuestPanic", log);
        // The structured field the shim scenarios read (tests/testhost/shim/env.sh), at the line's end.
        Assert.Matches(" sandbox=\"[^\"]+\" vm_exit_reason=GuestPanic runtime=io.containerd.katasharp.v2\r?\n", log);
        Assert.Contains("fake guest console line", log);

        // Later calls fail at once, naming the reason, instead of dialling a dead guest.
        var later = await Assert.ThrowsAsync<RuntimeException>(() => backend.SignalProcessAsync(Init, 9, true, CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(RuntimeError.Unavailable, later.Error);
        Assert.Contains("Kernel panic", later.Message);

        // Delete after the reported exit works: what it would remove went with the guest.
        await backend.RemoveProcessAsync(Init, CancellationToken.None).WaitAsync(Bound);
        await backend.RemoveContainerAsync(Init.ContainerId, CancellationToken.None).WaitAsync(Bound);
    }

    [Fact]
    public async Task A_layer_that_leaves_a_vm_which_just_died_is_let_go_instead_of_failing_the_delete()
    {
        // A Delete after a guest panic releases the container's layer. The VM may be gone before the backend has handled
        // its end (the VMM's process is, and refuses the eject); the medium went with the VM, so the release is done —
        // failing it left the task listed (ctr run --rm exited 1, ReliabilityEndToEndTests, 2026-12-06).
        await using var backend = await BootAsync();
        using var image = new TempDirectory("ks-vmdeath-layer");
        string imagePath = image.Combine("layer.erofs");
        await File.WriteAllBytesAsync(imagePath, new byte[4096]);
        AttachedLayer layer = await backend.AttachLayerAsync("c1", imagePath, CancellationToken.None);
        Assert.Single(_vm.Inserted);

        _vm.Die();
        bool emptied = await backend.DetachLayerAsync("c1", layer, CancellationToken.None).WaitAsync(Bound);

        Assert.True(emptied, "the layer's slot was not reported empty");
        Assert.Empty(_vm.Ejected); // nothing reached the dead VM
        await backend.Exited.WaitAsync(Bound);
        Assert.True(_vm.Disposed, "the dead VM's resources were not released");
    }

    [Fact]
    public async Task A_request_the_guest_never_answers_fails_after_the_request_timeout_naming_the_key()
    {
        await using var backend = await BootAsync(requestTimeoutSeconds: 1);
        _agent.Service.HangRequests = true;
        var failure = await Assert.ThrowsAsync<RuntimeException>(() => backend.PauseContainerAsync("c1", CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(RuntimeError.DeadlineExceeded, failure.Error);
        Assert.Contains("request_timeout_seconds", failure.Message);
        Assert.False(backend.Exited.IsCompleted, "one slow request must not cost the pod its VM");
    }

    [Fact]
    public async Task A_guest_that_stops_answering_keepalive_pings_is_stopped_and_its_waits_end()
    {
        await using var backend = await BootAsync(keepAliveIntervalSeconds: 1, keepAliveTimeoutSeconds: 2);
        await StartInitAsync(backend);
        Task<uint> wait = backend.WaitProcessAsync(Init, CancellationToken.None);
        await _agent.Service.WaitStarted.WaitAsync(Bound);

        _vm.Freeze();

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => wait.WaitAsync(Bound));
        Assert.Equal(RuntimeError.Unavailable, failure.Error);
        await backend.Exited.WaitAsync(Bound);
        Assert.True(_vm.Disposed, "a guest nobody can reach must be stopped");
        string log = LogText();
        Assert.Contains("stopped answering", log);
        Assert.Matches(" vm_exit_reason=AgentUnreachable runtime=", log);
    }

    [Fact]
    public async Task A_vm_that_ends_just_after_its_agent_connection_broke_is_reported_with_its_own_reason()
    {
        await using var backend = await BootAsync(keepAliveIntervalSeconds: 1, keepAliveTimeoutSeconds: 2);
        await StartInitAsync(backend);
        Task<uint> wait = backend.WaitProcessAsync(Init, CancellationToken.None);
        await _agent.Service.WaitStarted.WaitAsync(Bound);

        // The connection breaks first (as when the VMM process dies and its sockets close), the VM's end is seen after.
        _vm.Freeze();
        await Assert.ThrowsAsync<RuntimeException>(() => wait.WaitAsync(Bound));
        _vm.DieAs(new VmExit(VmExitReason.VmmError, "the VMM process was killed by its seccomp filter (SIGSYS)"));

        await backend.Exited.WaitAsync(Bound);
        string log = LogText();
        Assert.Matches(" vm_exit_reason=VmmError runtime=", log);
        Assert.DoesNotContain("AgentUnreachable", log);
    }

    private async Task<VmSandboxBackend> BootAsync(int requestTimeoutSeconds = 60, int keepAliveIntervalSeconds = 10, int keepAliveTimeoutSeconds = 60)
    {
        var configuration = new RuntimeConfiguration(
            new HypervisorSettings("/k", "/i", 1, 256, "", 30, 8),
            new AgentSettings(5, 30, requestTimeoutSeconds, keepAliveIntervalSeconds, keepAliveTimeoutSeconds),
            new RuntimeSettings(_directory.Combine("layers"), false, 5), "test");
        _log = new RuntimeLog(TextWriter.Synchronized(_logText), debug: true, "sb1");
        var backend = new VmSandboxBackend(_log, (_, _) => _vm);
        await backend.BootAsync(new SandboxBootRequest("sb1", configuration, _directory.Path), CancellationToken.None).WaitAsync(Bound);
        return backend;
    }

    /// <summary>The shim log so far (its writer runs on its own thread: flushed first).</summary>
    private string LogText()
    {
        _log?.Flush(TimeSpan.FromSeconds(10));
        return _logText.ToString();
    }

    private static async Task<ProcessStreams> StartInitAsync(VmSandboxBackend backend)
    {
        var stdio = new ProcessStdio(null, "/unused/stdout", null, false);
        await backend.CreateContainerAsync(new ContainerLaunch("c1", OciSpec.Parse("{}", "config.json"), [], [], stdio), CancellationToken.None).WaitAsync(Bound);
        return await backend.StartProcessAsync(new ProcessLaunch(Init, null, false, false, true, false), CancellationToken.None).WaitAsync(Bound);
    }
}
