using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Kvm;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Kvm;

/// <summary>The typed KVM wrappers against the real /dev/kvm: each call round-trips what it sets.</summary>
public sealed class KvmLayerTests
{
    [KvmFact]
    public void The_system_reports_API_12_a_CPUID_table_and_an_MSR_list()
    {
        using KvmSystem kvm = KvmSystem.Open();
        Assert.True(kvm.VcpuMmapSize >= 4096);
        Assert.True(kvm.MaxVcpus >= 1);
        kvm_cpuid_entry2[] cpuid = kvm.GetSupportedCpuid();
        Assert.Contains(cpuid, e => e.function == 0);
        Assert.Contains(cpuid, e => e.function == 1);
        Assert.Contains(BootMsrs.LSTAR, kvm.GetMsrIndexList());
        Assert.True(kvm.HasCapability(KvmCapability.Irqchip));
    }

    [KvmFact]
    public void A_vcpu_takes_and_returns_registers_MSRs_CPUID_and_the_LAPIC()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using VmFd vm = kvm.CreateVm();
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 2UL << 20)]);
        vm.SetTssAddress(X86Layout.KvmTssAddress);
        vm.CreateIrqchip();
        vm.CreatePit2();
        vm.SetUserMemoryRegion(0, memory.Regions[0].Start, memory.Regions[0].Size, memory.Regions[0].HostAddress);
        using VcpuFd vcpu = vm.CreateVcpu(0);

        vcpu.SetCpuid(GuestCpuid.ForVcpu(kvm.GetSupportedCpuid(), 0, 1, tscDeadline: false));
        BootCpuState.Apply(vcpu, entryPoint: 0x10_0000, zeroPage: X86Layout.ZeroPage);
        Assert.Equal((0x10_0000UL, X86Layout.ZeroPage), (vcpu.GetRegisters().rip, vcpu.GetRegisters().rsi));
        kvm_sregs sregs = vcpu.GetSpecialRegisters();
        Assert.Equal((BootCpuState.Cr0, BootCpuState.Cr4, X86Layout.Pml4), (sregs.cr0, sregs.cr4, sregs.cr3));
        Assert.Equal(BootCpuState.Efer, sregs.efer & BootCpuState.Efer);

        vcpu.SetMsrs([new kvm_msr_entry { index = BootMsrs.LSTAR, data = 0xFFFF_FFFF_8100_0000 }]);
        Assert.Equal(0xFFFF_FFFF_8100_0000UL, vcpu.GetMsrs([BootMsrs.LSTAR]).Single().data);

        BootCpuState.ApplyFpu(vcpu);
        Assert.Equal(BootCpuState.FpuControlWord, vcpu.GetFpu().fcw); // KVM_SET/GET_FPU do not carry MXCSR at all

        vcpu.SetLapic(LocalApic.WithVirtualWire(vcpu.GetLapic()));
        Assert.Equal(LocalApic.DeliveryModeExtInt, (LocalApic.ReadRegister(vcpu.GetLapic(), LocalApic.LvtLint0Offset) >> 8) & 7);
        Assert.Equal(LocalApic.DeliveryModeNmi, (LocalApic.ReadRegister(vcpu.GetLapic(), LocalApic.LvtLint1Offset) >> 8) & 7);
    }

    [KvmFact]
    public void Interrupt_lines_irqfds_and_ioeventfds_register_and_unregister()
    {
        using KvmSystem kvm = KvmSystem.Open();
        using VmFd vm = kvm.CreateVm();
        vm.CreateIrqchip();
        vm.SetIrqLine(5, high: true);
        vm.SetIrqLine(5, high: false);

        using EventFd irq = EventFd.Create();
        vm.RegisterIrqFd(irq, 6);
        Assert.Equal(Errno.EBUSY, Assert.Throws<LinuxException>(() => vm.RegisterIrqFd(irq, 6)).Errno);
        vm.UnregisterIrqFd(irq, 6);

        using EventFd notify = EventFd.Create();
        vm.RegisterIoEventFd(notify, IoEventSpace.Mmio, X86Layout.VirtioMmioBase + 0x50, 4, dataMatch: 0);
        Assert.Equal(Errno.EEXIST, Assert.Throws<LinuxException>(() =>
            vm.RegisterIoEventFd(notify, IoEventSpace.Mmio, X86Layout.VirtioMmioBase + 0x50, 4, dataMatch: 0)).Errno);
        vm.UnregisterIoEventFd(notify, IoEventSpace.Mmio, X86Layout.VirtioMmioBase + 0x50, 4, dataMatch: 0);
        vm.RegisterIoEventFd(notify, IoEventSpace.Pio, 0x510, 2, dataMatch: null);
        Assert.Throws<ArgumentOutOfRangeException>(() => vm.RegisterIoEventFd(notify, IoEventSpace.Mmio, 0xD000_0000, 3, null));
    }
}
