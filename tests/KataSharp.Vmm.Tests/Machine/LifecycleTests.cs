using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Vcpu;
using Xunit;

namespace KataSharp.Vmm.Tests.Machine;

/// <summary>The VM and vCPU state tables: every edge, legal and illegal.</summary>
public sealed class LifecycleTests
{
    public static TheoryData<VmState, VmState, bool> VmEdges()
    {
        var data = new TheoryData<VmState, VmState, bool>();
        var legal = new HashSet<(VmState, VmState)>
        {
            (VmState.Created, VmState.Running), (VmState.Created, VmState.Stopped),
            (VmState.Running, VmState.Stopping), (VmState.Stopping, VmState.Stopped),
        };
        foreach (VmState from in Enum.GetValues<VmState>())
        {
            foreach (VmState to in Enum.GetValues<VmState>())
            {
                data.Add(from, to, legal.Contains((from, to)));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(VmEdges))]
    public void Vm_transitions_follow_the_table(VmState from, VmState to, bool legal)
    {
        var machine = new StateMachine<VmState>("VM", from, VmStateTransitions.Allowed);
        Assert.Equal(legal, machine.TryMove(to));
        Assert.Equal(legal ? to : from, machine.Current);
        if (!legal)
        {
            InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => machine.Move(to));
            Assert.Contains($"from {from} to {to}", e.Message);
        }
    }

    [Fact]
    public void Vcpu_transitions_follow_the_table()
    {
        var allowed = VcpuStateTransitions.Allowed;
        Assert.Equal([VcpuState.Running, VcpuState.Stopped], allowed[VcpuState.Created]);
        Assert.Equal([VcpuState.Stopping, VcpuState.Stopped], allowed[VcpuState.Running]);
        Assert.Equal([VcpuState.Stopped], allowed[VcpuState.Stopping]);
        Assert.Empty(allowed[VcpuState.Stopped]);
        var vcpu = new StateMachine<VcpuState>("vcpu 0", VcpuState.Stopped, allowed);
        Assert.Throws<InvalidOperationException>(() => vcpu.Move(VcpuState.Running));
    }

    [Fact]
    public void Require_names_the_action_and_the_actual_state()
    {
        var machine = new StateMachine<VmState>("VM", VmState.Running, VmStateTransitions.Allowed);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => machine.Require(VmState.Created, "attach a device"));
        Assert.Contains("cannot attach a device: the VM is Running", e.Message);
    }

    [Fact]
    public void The_console_tail_keeps_the_last_bytes_and_finds_the_panic_line()
    {
        var tail = new ConsoleTail(capacity: 64);
        foreach (byte b in "early line that scrolls away\nKernel panic - not syncing: No init found\nrebooting\n"u8)
        {
            tail.Append(b);
        }
        Assert.Equal(64, tail.Text().Length);
        Assert.Equal("Kernel panic - not syncing: No init found", tail.PanicLine());
        Assert.Equal("rebooting", tail.LastLines(1));
        Assert.Null(new ConsoleTail().PanicLine());
    }
}
