using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Volumes;
using KataSharp.Shim.Backend;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>
/// The real VM backend with host block devices in a container's spec (fake VM behind the real slot record, fake agent):
/// each takes a spare slot (read-only as its mount asks), the agent learns serial and destination, and the slot is
/// released when the container is removed or its creation fails; no free slot fails Create naming the key and the mount.
/// </summary>
public sealed class BlockDeviceVolumeTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly HostBlockDevice Disk = new(3, "/dev/loop3", "/dev/xvdb", ReadOnly: false, 7, 3);
    private static readonly HostBlockDevice ReadOnlyDisk = new(4, "/dev/loop4", "/dev/xvdc", ReadOnly: true, 7, 4);

    private readonly TempDirectory _directory = new("ks-blockdev");
    private RuntimeLog? _log;
    private FakeAgentServer _agent = null!;

    public async Task InitializeAsync() => _agent = await FakeAgentServer.StartAsync(_directory.Combine("agent.sock"));

    public async Task DisposeAsync()
    {
        _log?.Dispose();
        await _agent.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Each_block_device_takes_a_slot_read_only_as_asked_the_agent_gets_serial_and_destination_and_delete_releases_them()
    {
        using var vm = NewVm(slots: 4);
        await using VmSandboxBackend backend = await BootAsync(vm);

        await backend.CreateContainerAsync(Launch("c1", Disk, ReadOnlyDisk), CancellationToken.None).WaitAsync(Bound);

        Assert.Equal([("/dev/loop3", false), ("/dev/loop4", true)], vm.Inserted.Select(i => (i.Path, i.ReadOnly)));
        Assert.Equal(2, vm.InUse);
        CreateContainerRequest request = Assert.Single(_agent.Service.CreateRequests);
        Assert.Equal([(vm.Inserted[0].Serial, "/dev/xvdb"), (vm.Inserted[1].Serial, "/dev/xvdc")],
            request.BlockVolumes.Select(v => (v.BlockSerial, v.Destination)));

        await backend.RemoveContainerAsync("c1", CancellationToken.None).WaitAsync(Bound);
        Assert.Equal(vm.Inserted.Select(i => i.Slot), vm.Ejected);
        Assert.Equal(0, vm.InUse);
    }

    [Fact]
    public async Task A_create_the_agent_refuses_releases_the_slots()
    {
        using var vm = NewVm(slots: 4);
        await using VmSandboxBackend backend = await BootAsync(vm);
        _agent.Service.FailCreateContainer = true;

        await Assert.ThrowsAsync<RuntimeException>(() => backend.CreateContainerAsync(Launch("c1", Disk), CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(0, vm.InUse);
        Assert.Single(vm.Ejected);
    }

    [Fact]
    public async Task No_free_slot_fails_create_naming_block_slots_and_the_mount_and_releases_what_it_took()
    {
        using var vm = NewVm(slots: 1);
        await using VmSandboxBackend backend = await BootAsync(vm);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => backend.CreateContainerAsync(Launch("c1", Disk, ReadOnlyDisk), CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(RuntimeError.FailedPrecondition, e.Error);
        Assert.Contains("[hypervisor.katasharp] block_slots", e.Message);
        Assert.Contains("mounts[4] (/dev/loop4 → /dev/xvdc", e.Message);
        Assert.Contains("container c1", e.Message);
        Assert.Equal(0, vm.InUse);
        Assert.Empty(_agent.Service.CreateRequests);
    }

    [Fact]
    public async Task A_container_without_block_devices_sends_none_and_takes_no_slot()
    {
        using var vm = NewVm(slots: 1);
        await using VmSandboxBackend backend = await BootAsync(vm);
        await backend.CreateContainerAsync(Launch("c1"), CancellationToken.None).WaitAsync(Bound);
        Assert.Empty(Assert.Single(_agent.Service.CreateRequests).BlockVolumes);
        Assert.Empty(vm.Inserted);
        await backend.RemoveContainerAsync("c1", CancellationToken.None).WaitAsync(Bound);
        Assert.Empty(vm.Ejected);
    }

    [Fact]
    public async Task After_the_vm_died_remove_ejects_nothing_the_devices_went_with_the_vm()
    {
        using var vm = NewVm(slots: 2);
        await using VmSandboxBackend backend = await BootAsync(vm);
        await backend.CreateContainerAsync(Launch("c1", Disk), CancellationToken.None).WaitAsync(Bound);

        vm.Die();
        await backend.Exited.WaitAsync(Bound);
        Assert.True(vm.Disposed, "the dead VM (and its block devices' descriptors) must be released");

        await backend.RemoveContainerAsync("c1", CancellationToken.None).WaitAsync(Bound);
        Assert.Empty(vm.Ejected);
    }

    private FakeGuestVm NewVm(int slots) =>
        new(_agent.SocketPath, _directory.Combine("vsock.sock")) { BlockSlotCount = slots };

    private static ContainerLaunch Launch(string id, params HostBlockDevice[] devices) =>
        new(id, OciSpec.Parse("{}", "config.json"), [], [], new ProcessStdio(null, null, null, false), BlockDevices: devices);

    private async Task<VmSandboxBackend> BootAsync(FakeGuestVm vm)
    {
        var configuration = new RuntimeConfiguration(
            new HypervisorSettings("/k", "/i", 1, 256, "", 30, 8),
            new AgentSettings(5, 30, 60, 10, 60),
            new RuntimeSettings(_directory.Combine("layers"), false, 5), "test");
        _log = new RuntimeLog(TextWriter.Synchronized(new StringWriter()), debug: true, "sb1");
        var backend = new VmSandboxBackend(_log, (_, _) => vm);
        await backend.BootAsync(new SandboxBootRequest("sb1", configuration, _directory.Path), CancellationToken.None).WaitAsync(Bound);
        return backend;
    }
}
