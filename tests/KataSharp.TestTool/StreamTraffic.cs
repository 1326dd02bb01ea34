using System.Buffers.Binary;
using System.Diagnostics;
using KataSharp.Linux.Sockets;

namespace KataSharp.TestTool;

/// <summary>
/// What the vsock test commands do on a connected stream, both as server (echo, sink, source) and as
/// client (echo, sink, source, rtt). Data is a deterministic pattern per stream so the echo side can
/// verify every byte. Blocking sockets, one thread per stream.
/// </summary>
internal static class StreamTraffic
{
    private const int Chunk = 64 * 1024;

    public static byte PatternByte(int stream, long index) => (byte)(index * 31 + stream * 7 + (index >> 12));

    /// <summary>Serves one accepted connection in <paramref name="mode"/> (echo | sink | source:BYTES).</summary>
    public static void Serve(StreamSocket socket, string mode)
    {
        using (socket)
        {
            var buffer = new byte[Chunk];
            if (mode == "echo")
            {
                int n;
                while ((n = socket.Receive(buffer)) > 0)
                {
                    socket.SendAll(buffer.AsSpan(0, n));
                }
                socket.Shutdown(SocketShutdown.Send);
            }
            else if (mode == "sink")
            {
                long total = 0;
                int n;
                while ((n = socket.Receive(buffer)) > 0)
                {
                    total += n;
                }
                Span<byte> count = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(count, total);
                socket.SendAll(count);
            }
            else if (mode.StartsWith("source:", StringComparison.Ordinal) && long.TryParse(mode["source:".Length..], out long bytes))
            {
                SendPattern(socket, 0, bytes, buffer);
                socket.Shutdown(SocketShutdown.Send);
            }
            else
            {
                throw new ArgumentException($"unknown server mode '{mode}' (echo, sink, source:BYTES)");
            }
        }
    }

    /// <summary>Runs <paramref name="streams"/> concurrent clients; prints one summary line; returns the exit code.</summary>
    public static int RunClients(string who, Func<StreamSocket> connect, string mode, int streams, long bytes)
    {
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, streams).Select(i => new Thread(() =>
        {
            try
            {
                using StreamSocket socket = connect();
                string? problem = RunClient(socket, mode, i, bytes);
                if (problem is not null)
                {
                    lock (failures)
                    {
                        failures.Add($"stream {i}: {problem}");
                    }
                }
            }
            catch (Exception e)
            {
                lock (failures)
                {
                    failures.Add($"stream {i}: {e.GetType().Name}: {e.Message}");
                }
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        double seconds = clock.Elapsed.TotalSeconds;
        if (failures.Count > 0)
        {
            // Group by reason (without the stream number) so 100 identical failures read as one line.
            var reasons = failures.GroupBy(f => f[(f.IndexOf(':') + 2)..]).Select(g => $"{g.Key} (x{g.Count()}, first {g.First()[..g.First().IndexOf(':')]})");
            Console.WriteLine($"{who} FAILED {failures.Count}/{streams} after {seconds:F1} s: {string.Join("; ", reasons)}");
            return 1;
        }
        if (mode == "rtt")
        {
            Console.WriteLine($"{who} ok mode=rtt streams={streams} count={bytes} avg-us={seconds * 1e6 / bytes:F1}");
        }
        else
        {
            double total = (double)bytes * streams;
            Console.WriteLine($"{who} ok mode={mode} streams={streams} bytes={bytes} seconds={seconds:F3} mbps={total / seconds / 1e6:F1}");
        }
        return 0;
    }

    private static string? RunClient(StreamSocket socket, string mode, int stream, long bytes)
    {
        var buffer = new byte[Chunk];
        switch (mode)
        {
            case "echo":
                var sender = new Thread(() =>
                {
                    SendPattern(socket, stream, bytes, new byte[Chunk]);
                    socket.Shutdown(SocketShutdown.Send);
                });
                sender.Start();
                long received = 0;
                int n;
                string? problem = null;
                while ((n = socket.Receive(buffer)) > 0)
                {
                    for (int i = 0; i < n && problem is null; i++)
                    {
                        if (buffer[i] != PatternByte(stream, received + i))
                        {
                            problem = $"echo differs at byte {received + i}";
                        }
                    }
                    received += n;
                }
                sender.Join();
                return problem ?? (received == bytes ? null : $"echo ended after {received} of {bytes} bytes");
            case "sink":
                SendPattern(socket, stream, bytes, buffer);
                socket.Shutdown(SocketShutdown.Send);
                Span<byte> count = stackalloc byte[8];
                if (!socket.ReceiveExactly(count))
                {
                    return "no byte count from the sink";
                }
                long counted = BinaryPrimitives.ReadInt64LittleEndian(count);
                return counted == bytes ? null : $"the sink counted {counted} of {bytes} bytes";
            case "source":
                long total = 0;
                while ((n = socket.Receive(buffer)) > 0)
                {
                    total += n;
                }
                return total == bytes ? null : $"the source sent {total}, expected {bytes}";
            case "rtt":
                var one = new byte[1];
                for (long i = 0; i < bytes; i++)
                {
                    one[0] = (byte)i;
                    socket.SendAll(one);
                    if (!socket.ReceiveExactly(one) || one[0] != (byte)i)
                    {
                        return $"round trip {i} failed";
                    }
                }
                return null;
            default:
                return $"unknown client mode '{mode}' (echo, sink, source, rtt)";
        }
    }

    private static void SendPattern(StreamSocket socket, int stream, long bytes, byte[] buffer)
    {
        for (long sent = 0; sent < bytes;)
        {
            int n = (int)Math.Min(buffer.Length, bytes - sent);
            for (int i = 0; i < n; i++)
            {
                buffer[i] = PatternByte(stream, sent + i);
            }
            socket.SendAll(buffer.AsSpan(0, n));
            sent += n;
        }
    }
}
