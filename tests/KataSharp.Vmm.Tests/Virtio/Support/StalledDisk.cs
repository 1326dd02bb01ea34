using System.Collections.Concurrent;
using KataSharp.Vmm.Virtio.Devices.Block;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// A disk that hangs: installed as a block device's <c>BeforeRequest</c> hook, it holds every request (on whatever thread
/// serves it) until released, the way a hung NFS mount or a dying host block device holds pread. Records which threads
/// served requests. Disposing releases it.
/// </summary>
internal sealed class StalledDisk : IDisposable
{
    private readonly ManualResetEventSlim _gate = new();
    private readonly SemaphoreSlim _entered = new(0);

    private StalledDisk(BlockDevice device) => device.BeforeRequest = Hold;

    /// <summary>Stalls every request of <paramref name="device"/> from now on, until <see cref="Release"/>.</summary>
    public static StalledDisk Stall(BlockDevice device) => new(device);

    /// <summary>Names of the threads that served a request (one entry per request).</summary>
    public ConcurrentQueue<string?> ServingThreads { get; } = new();

    /// <summary>Returns once a request sits in the stalled disk (bounded).</summary>
    public void WaitForRequest() => Assert.True(_entered.Wait(Eventually.DefaultTimeout), "a request to reach the stalled disk");

    /// <summary>Lets every held request (and all later ones) through (idempotent).</summary>
    public void Release() => _gate.Set();

    private void Hold(BlockRequestType type)
    {
        ServingThreads.Enqueue(Thread.CurrentThread.Name);
        _entered.Release();
        _gate.Wait();
    }

    public void Dispose() => Release();
}
