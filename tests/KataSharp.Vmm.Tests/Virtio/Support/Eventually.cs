using System.Diagnostics;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>Waits for a condition with a deadline (never a bare sleep), failing with a description.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static void True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? DefaultTimeout;
        var spinner = new SpinWait();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
            }
            if (spinner.Count > 100)
            {
                Thread.Sleep(1); // yield the core between polls; the deadline above bounds the wait
            }
            spinner.SpinOnce();
        }
    }
}
