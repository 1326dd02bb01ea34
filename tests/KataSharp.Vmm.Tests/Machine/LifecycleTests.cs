using KataSharp.Lifecycle;
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

    private enum Door { Closed, Open, Locked }

    private enum Push { Open, Close, Lock }

    [Fact]
    public void A_trigger_the_table_does_not_list_is_refused_naming_machine_state_and_trigger()
    {
        var door = new StateMachine<Door, Push>("door", Door.Closed, new Dictionary<(Door, Push), Door>
        {
            [(Door.Closed, Push.Open)] = Door.Open, [(Door.Open, Push.Close)] = Door.Closed, [(Door.Closed, Push.Lock)] = Door.Locked,
        });
        Assert.Equal(Door.Open, door.Fire(Push.Open));
        Assert.False(door.CanFire(Push.Lock));
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => door.Fire(Push.Lock));
        Assert.Equal("door cannot Lock while Open", e.Message);
        Assert.Equal(Door.Open, door.Current);
    }

    /// <summary>The thread-safety rule: firing is atomic, so of many threads firing the same one-way trigger exactly one wins.</summary>
    [Fact]
    public void Of_threads_racing_to_fire_one_trigger_exactly_one_sees_its_change()
    {
        for (int round = 0; round < 200; round++)
        {
            var vm = new StateMachine<VmState>("VM", VmState.Running, VmStateTransitions.Allowed);
            using var start = new Barrier(4);
            int winners = 0;
            // Threads, not pool tasks: four tasks blocked in a barrier would wait for the pool to grow.
            Thread[] racers = [.. Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                if (vm.TryMove(VmState.Stopping))
                {
                    Interlocked.Increment(ref winners);
                }
            }))];
            Array.ForEach(racers, r => r.Start());
            Array.ForEach(racers, r => r.Join());
            Assert.Equal(1, winners);
            Assert.Equal(VmState.Stopping, vm.Current);
        }
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
