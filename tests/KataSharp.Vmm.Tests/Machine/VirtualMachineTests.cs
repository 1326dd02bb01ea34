using KataSharp.Linux.Events;
using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Machine;

/// <summary>The machine on the real /dev/kvm: lifecycle rules and the device-attach hooks the virtio layer uses.</summary>
public sealed class VirtualMachineTests
{
    private const ulong DeviceBase = X86Layout.VirtioMmioBase;

    [KvmFact]
    public void Devices_can_be_attached_only_before_start_and_start_happens_once()
    {
        using var run = ProgramRun.Start(a => a.Exit());
        run.WaitForExit();

        VirtualMachine vm = run.Machine;
        Assert.Throws<InvalidOperationException>(() => vm.Start());
        Assert.Throws<InvalidOperationException>(() => vm.AddMmioDevice(DeviceBase, 0x1000, new Register()));
        Assert.Throws<InvalidOperationException>(() => vm.AppendKernelCmdline("quiet"));
        Assert.Equal(VmExitReason.HostStop, vm.Stop().Reason); // already stopped: the first reason stays
    }

    [KvmFact]
    public void A_machine_stopped_before_start_reports_it_and_releases_everything()
    {
        using var files = new TempDirectory();
        var vm = new MachineBuilder()
            .WithKernel(files.File("k", GuestProgram.AsKernel(a => a.Exit())))
            .WithMemoryMiB(MachineBuilder.MinMemoryMiB)
            .Build();
        Assert.Equal(VmState.Created, vm.State);
        Assert.Equal(VmExitReason.HostStop, vm.Stop().Reason);
        Assert.Equal(VmState.Stopped, vm.State);
        vm.Dispose();
        Assert.False(vm.Memory.IsMapped);
    }

    [KvmFact]
    public void An_attached_MMIO_device_sees_guest_reads_and_writes_and_an_ioeventfd_takes_its_notify_writes()
    {
        var register = new Register { Value = 0x1122_3344 };
        using EventFd notify = EventFd.Create();
        using var run = ProgramRun.Start(a =>
        {
            a.mov(rbx, DeviceBase);
            a.mov(eax, __dword_ptr[rbx + 0x10]);
            a.ReportRax();                               // the device's value
            a.mov(__dword_ptr[rbx + 0x20], 0xCAFE);      // a plain write: reaches the device
            a.mov(__dword_ptr[rbx + 0x50], 1);           // QueueNotify(1): taken by the ioeventfd inside KVM
            a.mov(__dword_ptr[rbx + 0x50], 2);           // another value: no match, reaches the device
            a.Exit();
        }, attach: vm =>
        {
            vm.AddMmioDevice(DeviceBase, X86Layout.VirtioMmioSlotSize, register, "test register");
            vm.AddIoEventFd(notify, DeviceBase + 0x50, 4, dataMatch: 1);
            vm.AppendKernelCmdline($"virtio_mmio.device=4K@0x{DeviceBase:x}:5");
        });

        run.WaitForExit();

        Assert.Equal([0x1122_3344UL], run.Reports);
        Assert.Equal([(0x10UL, 4, 0x1122_3344UL, false), (0x20UL, 4, 0xCAFEUL, true), (0x50UL, 4, 2UL, true)], register.Accesses);
        Assert.Equal(1UL, notify.Drain());
        Assert.EndsWith($"virtio_mmio.device=4K@0x{DeviceBase:x}:5", run.Machine.BootLayout!.Cmdline);
    }

    [KvmFact]
    public void An_MMIO_device_may_not_cover_guest_RAM()
    {
        using var files = new TempDirectory();
        using var vm = new MachineBuilder()
            .WithKernel(files.File("k", GuestProgram.AsKernel(a => a.Exit())))
            .WithMemoryMiB(MachineBuilder.MinMemoryMiB)
            .Build();
        Assert.Throws<ArgumentException>(() => vm.AddMmioDevice(0x100_0000, 0x1000, new Register()));
        Assert.Throws<ArgumentOutOfRangeException>(() => vm.GetInterruptLine(24));
        Assert.Same(vm.GetInterruptLine(5), vm.GetInterruptLine(5));
    }

    private sealed class Register : IBusDevice
    {
        public uint Value { get; init; }

        public List<(ulong Offset, int Size, ulong Value, bool IsWrite)> Accesses { get; } = [];

        public void Read(ulong offset, Span<byte> data)
        {
            BitConverter.TryWriteBytes(data, Value);
            lock (Accesses)
            {
                Accesses.Add((offset, data.Length, Value, false));
            }
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            Span<byte> value = stackalloc byte[8];
            data.CopyTo(value);
            lock (Accesses)
            {
                Accesses.Add((offset, data.Length, BitConverter.ToUInt64(value), true));
            }
        }
    }
}
