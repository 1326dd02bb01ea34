using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Vcpu;
using Xunit;

namespace KataSharp.Vmm.Tests.Vcpu;

/// <summary>Recognising the power-on state that KVM on AMD leaves behind a triple fault (no /dev/kvm needed).</summary>
public sealed class VcpuDiagnosticsTests
{
    [Fact]
    public void The_power_on_state_is_recognised_as_the_reset_state()
    {
        var s = new kvm_sregs();
        s.cs.selector = VcpuDiagnostics.ResetCsSelector;
        s.cs.@base = VcpuDiagnostics.ResetCsBase;

        Assert.True(VcpuDiagnostics.IsResetState(new kvm_regs { rip = VcpuDiagnostics.ResetRip }, s));
    }

    [Fact]
    public void A_running_kernel_is_not_the_reset_state()
    {
        kvm_sregs s = BootCpuState.SpecialRegisters(new kvm_sregs());
        kvm_regs r = BootCpuState.Registers(0x100_0000, X86Layout.ZeroPage);

        Assert.False(VcpuDiagnostics.IsResetState(r, s));
        r.rip = VcpuDiagnostics.ResetRip;
        Assert.False(VcpuDiagnostics.IsResetState(r, s)); // a 64-bit code segment, not F000
    }
}
