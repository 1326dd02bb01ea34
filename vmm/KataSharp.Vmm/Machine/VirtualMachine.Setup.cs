using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Devices.Legacy;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Kvm;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Vcpu;

namespace KataSharp.Vmm.Machine;

/// <summary>The build recipe: RAM → VM with irqchip and PIT → memory slots → vCPUs (CPUID, MSRs,
/// FPU, LAPIC) → legacy devices → kernel and initrd in RAM → I/O event loop.</summary>
public sealed partial class VirtualMachine
{
    private uint _cpuSignature;
    private bool _consoleBroken;

    internal static VirtualMachine Create(KvmSystem kvm, MachinePlan plan)
    {
        GuestMemory memory = GuestMemory.Create(GuestRamLayout.RamRanges(plan.MemoryBytes));
        VmFd vm;
        try
        {
            vm = kvm.CreateVm();
        }
        catch
        {
            memory.Dispose();
            throw;
        }
        var machine = new VirtualMachine(plan, memory, vm);
        try
        {
            machine.Setup(kvm);
            return machine;
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }

    private void Setup(KvmSystem kvm)
    {
        _vm.SetTssAddress(X86Layout.KvmTssAddress);
        _vm.SetIdentityMapAddress(X86Layout.KvmIdentityMapAddress);
        _vm.CreateIrqchip();
        _vm.CreatePit2();
        for (int slot = 0; slot < Memory.Regions.Count; slot++)
        {
            GuestMemoryRegion region = Memory.Regions[slot];
            _vm.SetUserMemoryRegion((uint)slot, region.Start, region.Size, region.HostAddress);
        }

        CreateVcpus(kvm);
        AddLegacyDevices();
        LinuxBoot.Load(Memory, _plan.Kernel, _plan.Initrd, _plan.InitrdAddress);
        _eventLoop = new EventLoop("vmm-io", e => RequestExit(new VmExit(VmExitReason.VmmError, $"device I/O failed: {e.Message}")), _plan.Log)
        {
            WaitTimeout = _plan.StopTimeout,
        };
    }

    private void CreateVcpus(KvmSystem kvm)
    {
        kvm_cpuid_entry2[] supported = kvm.GetSupportedCpuid();
        _cpuSignature = supported.FirstOrDefault(e => e.function == 1).eax;
        kvm_msr_entry[] msrs = BootMsrs.Entries(kvm.GetMsrIndexList());
        bool tscDeadline = kvm.HasCapability(KvmCapability.TscDeadlineTimer);
        for (int id = 0; id < _plan.VcpuCount; id++)
        {
            VcpuFd fd = _vm.CreateVcpu(id);
            _vcpus.Add(new VcpuThread(fd, _pio, _mmio, Memory, (_, exit) => RequestExit(exit), OnVcpuStopped));
            fd.SetCpuid(GuestCpuid.ForVcpu(supported, id, _plan.VcpuCount, tscDeadline));
            fd.SetMsrs(msrs);
            BootCpuState.ApplyFpu(fd);
            fd.SetLapic(LocalApic.WithVirtualWire(fd.GetLapic()));
        }
    }

    private void AddLegacyDevices()
    {
        _serial = new Uart16550(GetInterruptLine(X86Layout.Com1Irq), ConsoleByte);
        AddPioDevice(X86Layout.Com1Port, X86Layout.UartPortCount, _serial, "COM1 (16550 UART)");
        var i8042 = new I8042Controller(() => RequestExit(new VmExit(VmExitReason.GuestReset, "the guest reset the machine through the i8042 controller")));
        AddPioDevice(X86Layout.I8042DataPort, (ushort)I8042Controller.PortCount, i8042, "i8042");
        AddPioDevice(X86Layout.CmosPort, (ushort)CmosRtc.PortCount, new CmosRtc(), "CMOS/RTC");
        AddPioDevice(X86Layout.DmaPagePorts, X86Layout.DmaPagePortCount, AbsentDevice.Instance, "DMA page registers and POST code port");
        AddPioDevice(X86Layout.PciConfigPort, X86Layout.PciConfigPortCount, AbsentDevice.Instance, "PCI configuration (no PCI)");
        foreach (ushort port in new[] { X86Layout.Com2Port, X86Layout.Com3Port, X86Layout.Com4Port })
        {
            AddPioDevice(port, X86Layout.UartPortCount, AbsentDevice.Instance, $"COM port 0x{port:x} (absent)");
        }
    }

    /// <summary>Each console byte goes to the tail and the console stream; a broken stream (closed
    /// stdout) is reported once and then skipped, the guest keeps running.</summary>
    private void ConsoleByte(byte b)
    {
        _consoleTail.Append(b);
        Stream? console = _plan.Console;
        if (console is null || _consoleBroken)
        {
            return;
        }
        try
        {
            console.WriteByte(b);
            if (b == (byte)'\n')
            {
                console.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            _consoleBroken = true;
            _plan.Log($"guest console output stopped: {e.Message}");
        }
    }

    private void FlushConsole()
    {
        try
        {
            if (!_consoleBroken)
            {
                _plan.Console?.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            _consoleBroken = true;
        }
    }
}
