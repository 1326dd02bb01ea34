using System.Diagnostics;
using KataSharp.Linux.Events;
using KataSharp.Linux.Files;

namespace KataSharp.Runtime.Tests.Network.Support;

/// <summary>Reads frames from a tap fd (vnet header stripped) until one matches, with a deadline.</summary>
public static class TapReader
{
    public delegate T? FrameParser<T>(ReadOnlySpan<byte> frame) where T : struct;

    public static T WaitFor<T>(FileDescriptor tap, FrameParser<T> parse, Func<T, bool> accept, string what, int timeoutSeconds = 10) where T : struct
    {
        using Epoll epoll = Epoll.Create();
        epoll.Add(tap.Value, EpollEvents.In, 1);
        Span<EpollReady> ready = stackalloc EpollReady[1];
        byte[] buffer = new byte[65536];
        var clock = Stopwatch.StartNew();
        var seen = new List<string>();
        while (clock.Elapsed < TimeSpan.FromSeconds(timeoutSeconds))
        {
            int remaining = (int)Math.Max(1, timeoutSeconds * 1000 - clock.ElapsedMilliseconds);
            if (epoll.Wait(ready, remaining) == 0)
            {
                continue;
            }
            int n = tap.Read(buffer);
            if (n <= EthernetFrames.VnetHeader)
            {
                continue;
            }
            byte[] frame = buffer[EthernetFrames.VnetHeader..n];
            if (parse(frame) is T found && accept(found))
            {
                return found;
            }
            seen.Add($"ethertype 0x{EthernetFrames.EtherType(frame):x4} ({frame.Length} bytes)");
        }
        throw new TimeoutException($"no {what} on the tap within {timeoutSeconds} s; other frames seen: {string.Join(", ", seen.Take(20))}");
    }
}
