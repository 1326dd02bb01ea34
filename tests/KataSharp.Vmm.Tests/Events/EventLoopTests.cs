using System.Diagnostics;
using KataSharp.Linux.Events;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Tests.Virtio.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Events;

/// <summary>The I/O thread's bounds: no caller waits for it forever and no turn runs unbounded work.</summary>
public sealed class EventLoopTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    /// <summary>A loop with short waits whose thread sits in a handler until disposed.</summary>
    private sealed class StuckLoop : IDisposable
    {
        public StuckLoop()
        {
            Loop = new EventLoop("stuck-loop", Errors.Add, Log.Add) { WaitTimeout = Short };
            Blocker = LoopBlocker.Block(Loop);
        }

        public EventLoop Loop { get; }

        public LoopBlocker Blocker { get; }

        public List<Exception> Errors { get; } = [];

        public List<string> Log { get; } = [];

        public void Dispose()
        {
            Blocker.Release();
            Assert.True(Bounded.Run(() => Loop.Stop(Eventually.DefaultTimeout), "stopping the released loop"));
            Blocker.Dispose();
        }
    }

    [Fact]
    public void Stop_returns_within_its_bound_and_names_a_thread_stuck_in_a_handler()
    {
        using var stuck = new StuckLoop();
        var clock = Stopwatch.StartNew();

        bool stopped = Bounded.Run(() => stuck.Loop.Stop(Short), "stopping a stuck loop");

        Assert.False(stopped);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Stop took {clock.Elapsed}");
        Assert.Contains(stuck.Log, line => line.Contains("'stuck-loop'") && line.Contains("did not stop"));
    }

    [Fact]
    public void Invoke_and_unregistering_give_up_on_a_stuck_loop_and_name_it()
    {
        using var stuck = new StuckLoop();

        var e = Assert.Throws<AggregateException>(() => Bounded.Run(() => stuck.Loop.Invoke(() => { }), "invoking on a stuck loop"));
        Assert.Contains("'stuck-loop'", Assert.IsType<TimeoutException>(e.InnerException).Message);

        // Once it timed out, further waits fail fast: a shutdown unregistering many fds takes one timeout.
        var clock = Stopwatch.StartNew();
        Bounded.Run(stuck.Blocker.Registration.Dispose, "unregistering from a stuck loop");
        Assert.True(clock.Elapsed < Short, $"unregistering took {clock.Elapsed}");
        Assert.Contains(stuck.Log, line => line.Contains("'stuck-loop'") && line.Contains("stays in its epoll"));
    }

    [Fact]
    public void A_disposed_registration_is_never_called_again_even_when_the_loop_could_not_remove_it()
    {
        var log = new List<string>();
        using var loop = new EventLoop("stuck-loop", _ => { }, log.Add) { WaitTimeout = Short };
        using EventFd other = EventFd.Create();
        int calls = 0;
        IDisposable registration = loop.Register(other.Descriptor.Value, EpollEvents.In, _ =>
        {
            other.Drain();
            Interlocked.Increment(ref calls);
        });
        using LoopBlocker blocker = LoopBlocker.Block(loop);

        Bounded.Run(registration.Dispose, "unregistering from a stuck loop");
        Assert.Contains(log, line => line.Contains("stays in its epoll"));
        other.Signal();
        blocker.Release();
        loop.Invoke(() => { }); // the loop is free again and has seen the signal
        loop.Invoke(() => { });

        Assert.Equal(0, Volatile.Read(ref calls));
    }

    [Fact]
    public void Posted_work_that_posts_more_work_cannot_starve_the_descriptors()
    {
        using var loop = new EventLoop("busy-loop", _ => { });
        using EventFd fd = EventFd.Create();
        using var handled = new ManualResetEventSlim();
        var stop = false;
        void Again()
        {
            if (!Volatile.Read(ref stop))
            {
                loop.Post(Again);
            }
        }
        loop.Register(fd.Descriptor.Value, EpollEvents.In, _ =>
        {
            fd.Drain();
            handled.Set();
        });
        try
        {
            loop.Post(Again);
            fd.Signal();
            Assert.True(handled.Wait(Eventually.DefaultTimeout), "the descriptor's handler never ran while posted work kept coming");
        }
        finally
        {
            Volatile.Write(ref stop, true);
        }
    }

    [Fact]
    public void Invoke_on_a_stopped_loop_fails_instead_of_waiting()
    {
        var loop = new EventLoop("stopped-loop", _ => { });
        Assert.True(loop.Stop(Eventually.DefaultTimeout));
        Assert.Throws<ObjectDisposedException>(() => loop.Invoke(() => { }));
        Assert.Throws<ObjectDisposedException>(() => loop.Post(() => { }));
    }

    [Fact]
    public void A_manual_loop_turns_only_when_its_owner_asks()
    {
        using var loop = EventLoop.CreateManual("manual", _ => { });
        using EventFd fd = EventFd.Create();
        int calls = 0;
        using IDisposable registration = loop.Register(fd.Descriptor.Value, EpollEvents.In, _ =>
        {
            fd.Drain();
            calls++;
        });
        fd.Signal();
        Assert.Equal(0, calls);
        Assert.Equal(1, loop.RunOnce(0));
        Assert.Equal(1, calls);
        Assert.Equal(0, loop.RunOnce(0));
        Assert.Equal(1, loop.RegistrationCount);
    }
}
