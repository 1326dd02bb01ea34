using KataSharp.Confinement;
using KataSharp.Linux.Files;
using KataSharp.Linux.Sockets;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Shim.Backend;
using Xunit;

namespace KataSharp.Runtime.Tests.Confinement;

/// <summary>The shim's commands to a VMM process that an escape from the device model may control: it answers late, never,
/// too often, with made-up numbers, with hostile text, or dies mid-command. Each command gets its own answer or a clear
/// error by its deadline; nothing it sends grows the shim's memory or stretches a wait.</summary>
public sealed class VmmCommandsTests
{
    /// <summary>Long enough for a loaded machine to deliver a reply; bounds only waits the VMM is meant to miss.</summary>
    private static readonly TimeSpan Answered = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Missed = TimeSpan.FromMilliseconds(300);
    /// <summary>How long a test waits for a call that must end: far past every deadline it sets, so only a hang fails it.</summary>
    private static readonly TimeSpan Ends = TimeSpan.FromSeconds(60);

    [Fact]
    public void Each_command_is_numbered_and_answered_by_the_reply_that_repeats_its_number()
    {
        using var vmm = new FakeVmm(command => [Reply(command.Id, label: $"done {command.Op}")]);

        VmmMessage first = vmm.Commands.Send(new VmmMessage("metrics"), null, "read the metrics", Answered, queue: false);
        VmmMessage second = vmm.Commands.Send(new VmmMessage("trim"), null, "trim", Answered, queue: false);

        Assert.Equal([1L, 2L], vmm.Received.Select(m => m.Id));
        Assert.Equal(("done metrics", 1L), (first.Label, first.Id));
        Assert.Equal(("done trim", 2L), (second.Label, second.Id));
        Assert.Equal(0, vmm.Drops.StrayVmmReplies);
    }

    [Fact]
    public void A_vmm_that_does_not_answer_fails_the_command_at_its_deadline_and_its_late_reply_answers_nothing_after()
    {
        // The first command is answered only when the second comes, late and just before the second's own reply.
        using var vmm = new FakeVmm(command => command.Id == 1 ? [] : [Reply(1, error: "late answer to 1"), Reply(command.Id, label: "on time")]);

        var missed = Assert.Throws<RuntimeException>(() => vmm.Commands.Send(new VmmMessage("metrics"), null, "read the metrics", Missed, queue: false));
        VmmMessage reply = vmm.Commands.Send(new VmmMessage("eject") { Slot = "layer0" }, null, "empty layer0", Answered, queue: true);

        Assert.Equal(RuntimeError.Unavailable, missed.Error);
        Assert.Equal("cannot read the metrics: the VMM did not answer within 0.3 s", missed.Message);
        Assert.Equal(("on time", 2L), (reply.Label, reply.Id));
        Assert.Equal(1, vmm.Drops.StrayVmmReplies);
    }

    [Fact]
    public async Task Made_up_and_repeated_replies_answer_nothing_are_dropped_past_the_bound_and_do_not_stretch_the_wait()
    {
        // Each command gets thousands of replies, none with its number: ids already used, ids never given, none at all.
        const int Flood = 3000;
        using var vmm = new FakeVmm(command => Enumerable.Range(0, Flood).Select(i => Reply((i % 3) switch { 0 => 0, 1 => command.Id + 1, _ => -command.Id })));

        Task<RuntimeException> call = Task.Run(() => Assert.Throws<RuntimeException>(
            () => vmm.Commands.Send(new VmmMessage("metrics"), null, "read the metrics", TimeSpan.FromSeconds(2), queue: false)));

        // A command that waited past its deadline while made-up replies came would end this with a TimeoutException.
        RuntimeException error = await call.WaitAsync(Ends);
        Assert.Equal("cannot read the metrics: the VMM did not answer within 2 s", error.Message);
        vmm.WaitUntilDelivered(Flood);
        // Every reply was either dropped on arrival or read and discarded; at most the queue's bound still waits.
        Assert.InRange(vmm.Drops.StrayVmmReplies, Flood - VmmCommands.MaxQueuedReplies, Flood);
    }

    [Fact]
    public void An_error_in_a_reply_fails_the_command_with_the_vmms_text_escaped_and_cut()
    {
        string hostile = "\u001b]0;owned\u0007\r\nlevel=error msg=forged " + new string('x', 20_000);
        using var vmm = new FakeVmm(command => [Reply(command.Id, error: hostile)]);

        var error = Assert.Throws<RuntimeException>(() => vmm.Commands.Send(new VmmMessage("trim"), null, "trim", Answered, queue: false));

        Assert.Equal(RuntimeError.Internal, error.Error);
        Assert.StartsWith("cannot trim: ", error.Message);
        Assert.DoesNotContain('\u001b', error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\u0007', error.Message);
        Assert.True(error.Message.Length < 5000, $"the VMM's text was not cut: {error.Message.Length} chars");
    }

    [Fact]
    public async Task When_the_vmm_process_is_gone_the_waiting_command_fails_at_once_and_later_ones_without_being_sent()
    {
        using var vmm = new FakeVmm(_ => []);
        Task<RuntimeException> waiting = Task.Run(() => Assert.Throws<RuntimeException>(
            () => vmm.Commands.Send(new VmmMessage("eject") { Slot = "layer1" }, null, "empty layer1", TimeSpan.FromHours(1), queue: true)));
        vmm.WaitUntilReceived(1);

        vmm.Commands.Gone("killed by signal 9");

        // The command's own wait is an hour: only the end of the process can finish it within Ends.
        RuntimeException gone = await waiting.WaitAsync(Ends);
        Assert.Equal("cannot empty layer1: the VMM process is gone (killed by signal 9)", gone.Message);
        var later = Assert.Throws<RuntimeException>(() => vmm.Commands.Send(new VmmMessage("metrics"), null, "read the metrics", Answered, queue: false));
        Assert.Equal("cannot read the metrics: the VMM process is gone (killed by signal 9)", later.Message);
        Assert.Single(vmm.Received);
    }

    [Fact]
    public async Task A_metrics_read_does_not_queue_behind_a_media_change_but_a_media_change_does()
    {
        using var release = new ManualResetEventSlim();
        using var vmm = new FakeVmm(command =>
        {
            if (command.Op == "insert")
            {
                release.Wait(Ends); // a slow attach
            }
            return [Reply(command.Id, label: command.Op)];
        });
        Task<VmmMessage> insert = Task.Run(() => vmm.Commands.Send(new VmmMessage("insert") { Slot = "layer0" }, null, "attach", Answered, queue: true));
        vmm.WaitUntilReceived(1);

        var busy = Assert.Throws<RuntimeException>(() => vmm.Commands.Send(new VmmMessage("metrics"), null, "read the metrics", Missed, queue: false));
        Task<VmmMessage> eject = Task.Run(() => vmm.Commands.Send(new VmmMessage("eject") { Slot = "layer0" }, null, "empty layer0", Answered, queue: true));
        release.Set();

        Assert.Equal("cannot read the metrics: the VMM is busy with another command", busy.Message);
        VmmMessage[] replies = await Task.WhenAll(insert, eject).WaitAsync(Ends);
        Assert.Equal(["insert", "eject"], replies.Select(r => r.Label));
        Assert.Equal(["insert", "eject"], vmm.Received.Select(m => m.Op));
    }

    [Fact]
    public void A_command_to_a_vmm_whose_end_of_the_channel_is_closed_fails_naming_it_gone()
    {
        var (shimEnd, vmmEnd) = SeqPacketSocket.CreatePair();
        using var channel = new VmmChannel(shimEnd);
        vmmEnd.Dispose();
        var commands = new VmmCommands(channel, new DropCounters());

        var error = Assert.Throws<RuntimeException>(() => commands.Send(new VmmMessage("metrics"), null, "read the metrics", Answered, queue: false));

        Assert.Equal(RuntimeError.Unavailable, error.Error);
        Assert.StartsWith("cannot read the metrics: the VMM process is gone (", error.Message);
    }

    private static VmmMessage Reply(long id, string? label = null, string? error = null) => new("reply") { Id = id, Label = label, Error = error };

    /// <summary>A socket pair: the shim's end read by a receiver thread as <see cref="ConfinedGuestMachine"/>'s is, the VMM's
    /// end answering each command with what the test says.</summary>
    private sealed class FakeVmm : IDisposable
    {
        private readonly VmmChannel _shim, _vmm;
        private readonly Thread _receiver, _answerer;
        private readonly List<VmmMessage> _received = [];
        private int _delivered;

        public FakeVmm(Func<VmmMessage, IEnumerable<VmmMessage>> answer)
        {
            var (shimEnd, vmmEnd) = SeqPacketSocket.CreatePair();
            _shim = new VmmChannel(shimEnd);
            _vmm = new VmmChannel(vmmEnd);
            Commands = new VmmCommands(_shim, Drops);
            _receiver = new Thread(() =>
            {
                while (_shim.Receive(out FileDescriptor? descriptor) is { } message)
                {
                    descriptor?.Dispose();
                    Commands.Deliver(message);
                    lock (_received)
                    {
                        _delivered++;
                        Monitor.PulseAll(_received);
                    }
                }
            }) { IsBackground = true };
            _answerer = new Thread(() =>
            {
                while (_vmm.Receive(out FileDescriptor? descriptor) is { Op: not ByeOp } command)
                {
                    descriptor?.Dispose();
                    lock (_received)
                    {
                        _received.Add(command);
                        Monitor.PulseAll(_received);
                    }
                    foreach (VmmMessage reply in answer(command))
                    {
                        _vmm.Send(reply);
                    }
                }
            }) { IsBackground = true };
            _receiver.Start();
            _answerer.Start();
        }

        /// <summary>Ends the answerer, which then closes the VMM's end (a descriptor closed under a thread blocked reading it
        /// would not wake that thread): the receiver reads the end of the channel.</summary>
        private const string ByeOp = "test-bye";

        public VmmCommands Commands { get; }

        public DropCounters Drops { get; } = new();

        public IReadOnlyList<VmmMessage> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public void WaitUntilReceived(int count) => WaitFor(() => _received.Count >= count, $"{count} command(s) to reach the VMM");

        /// <summary>Until the receiver has handed <paramref name="count"/> replies to <see cref="Commands"/>.</summary>
        public void WaitUntilDelivered(int count) => WaitFor(() => _delivered >= count, $"{count} replies to be read");

        private void WaitFor(Func<bool> condition, string what)
        {
            lock (_received)
            {
                DateTime until = DateTime.UtcNow + Ends;
                while (!condition())
                {
                    TimeSpan left = until - DateTime.UtcNow;
                    Assert.True(left > TimeSpan.Zero, $"timed out waiting for {what}");
                    Monitor.Wait(_received, left);
                }
            }
        }

        public void Dispose()
        {
            _shim.Send(new VmmMessage(ByeOp));
            Assert.True(_answerer.Join(Ends), "the fake VMM did not stop");
            _vmm.Dispose();
            Assert.True(_receiver.Join(Ends), "the receiver did not read the channel's end");
            _shim.Dispose();
        }
    }
}
