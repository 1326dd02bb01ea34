using System.Diagnostics;
using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Tests.Virtio.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Machine;

/// <summary>
/// Stop and Dispose on the real /dev/kvm with a vCPU that cannot be kicked: it is blocked in a device
/// handler (outside KVM_RUN), as one waiting for a device lock held by a stuck event loop would be.
/// Both return within their bound, name the thread, and keep guest memory mapped while it may still run.
/// </summary>
public sealed class StopBoundsTests
{
    private const ulong DeviceBase = X86Layout.VirtioMmioBase;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromMilliseconds(500);

    private static ProgramRun StartBlocked(BlockingRegister device)
    {
        ProgramRun run = ProgramRun.Start(a =>
        {
            a.mov(rbx, DeviceBase);
            a.mov(__dword_ptr[rbx], 1); // never returns until the test opens the gate
            a.Exit();
        }, builder => builder.WithStopTimeout(StopTimeout), vm => vm.AddMmioDevice(DeviceBase, X86Layout.VirtioMmioSlotSize, device, "blocking register"));
        Assert.True(device.Entered.Wait(ProgramRun.Timeout), "the vCPU to reach the device");
        return run;
    }

    [KvmFact]
    public void Stop_returns_within_its_bound_and_names_a_vcpu_blocked_in_a_device()
    {
        var device = new BlockingRegister();
        using ProgramRun run = StartBlocked(device);
        try
        {
            var clock = Stopwatch.StartNew();
            VmExit exit = Bounded.Run(run.Machine.Stop, "stopping the VM");

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {clock.Elapsed}");
            Assert.Equal(VmExitReason.HostStop, exit.Reason);
            Assert.Contains("vcpu0 did not stop", exit.Message);
            Assert.Equal(["vcpu0"], run.Machine.StuckThreads);
            Assert.Contains(run.Log, line => line.Contains("vcpu0 did not stop"));
        }
        finally
        {
            device.Gate.Set();
        }
        Eventually.True(() => run.Machine.State == VmState.Stopped, "the released vCPU to finish");
    }

    [KvmFact]
    public void Dispose_with_a_stuck_vcpu_returns_keeps_guest_memory_mapped_and_a_later_dispose_releases_it()
    {
        var device = new BlockingRegister();
        using ProgramRun run = StartBlocked(device);
        VirtualMachine vm = run.Machine;
        try
        {
            var clock = Stopwatch.StartNew();
            Bounded.Run(vm.Dispose, "disposing the VM");

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {clock.Elapsed}");
            Assert.Equal(["vcpu0"], vm.StuckThreads);
            Assert.True(vm.Memory.IsMapped, "guest memory must stay mapped while vcpu0 may touch it");
        }
        finally
        {
            device.Gate.Set();
        }
        Eventually.True(() => vm.State == VmState.Stopped, "the released vCPU to finish");
        vm.Dispose();
        Assert.Empty(vm.StuckThreads);
        Assert.False(vm.Memory.IsMapped);
    }

    [KvmFact]
    public void Dispose_keeps_guest_memory_mapped_while_a_device_thread_that_writes_it_still_runs()
    {
        using ProgramRun run = ProgramRun.Start(a => a.Exit(), builder => builder.WithStopTimeout(StopTimeout));
        run.WaitForExit();
        VirtualMachine vm = run.Machine;
        bool ended = false;
        vm.AddMemoryUser("blk9-io", () => Volatile.Read(ref ended));

        Bounded.Run(vm.Dispose, "disposing the VM");
        Assert.Equal(["blk9-io"], vm.StuckThreads);
        Assert.True(vm.Memory.IsMapped, "guest memory must stay mapped while a block worker may still write it");
        Assert.Contains(run.Log, line => line.Contains("blk9-io"));

        Volatile.Write(ref ended, true);
        vm.Dispose();
        Assert.Empty(vm.StuckThreads);
        Assert.False(vm.Memory.IsMapped);
    }

    /// <summary>An MMIO register whose writes block until <see cref="Gate"/> opens.</summary>
    private sealed class BlockingRegister : IBusDevice
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Gate { get; } = new();

        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            Entered.Set();
            Gate.Wait();
        }
    }
}
