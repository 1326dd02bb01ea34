using KataSharp.Linux.Events;
using KataSharp.Vmm.Events;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// Parks an event loop's thread inside a handler until released: the loop of a VMM whose device backend
/// never answers (or that has a bug). Disposing releases it.
/// </summary>
internal sealed class LoopBlocker : IDisposable
{
    private readonly EventFd _kick = EventFd.Create();
    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _gate = new();
    private readonly IDisposable _registration;

    private LoopBlocker(EventLoop loop)
    {
        _registration = loop.Register(_kick.Descriptor.Value, EpollEvents.In, _ =>
        {
            _kick.Drain();
            _entered.Set();
            _gate.Wait();
        });
        _kick.Signal();
        Assert.True(_entered.Wait(Eventually.DefaultTimeout), "the blocking handler to start");
    }

    /// <summary>Returns once <paramref name="loop"/>'s thread sits in the blocking handler.</summary>
    public static LoopBlocker Block(EventLoop loop) => new(loop);

    /// <summary>The blocking handler's own registration (disposing it is unregistering from a stuck loop).</summary>
    public IDisposable Registration => _registration;

    /// <summary>Lets the loop go on (idempotent).</summary>
    public void Release() => _gate.Set();

    public void Dispose()
    {
        Release();
        _registration.Dispose();
        _kick.Dispose();
    }
}
