using System.Net.Sockets;
using System.Text;
using KataSharp.Runtime.Logging;
using KataSharp.Shim.Backend.Agent;

namespace KataSharp.Shim.Backend;

/// <summary>
/// Receives the agent's log lines: the agent connects to host vsock port 1025, which the VMM's
/// hybrid vsock forwards to the unix socket "&lt;vsock socket&gt;_1025" served here. Each line goes to
/// the shim log with the sandbox id, at the level the agent gave it.
/// Any process in the guest can connect to that port, so everything is bounded by
/// <see cref="GuestOutputLimits"/>: at most <c>MaxLogConnections</c> at once (the agent's, from
/// boot; others are closed at once), lines cut at <c>MaxLineBytes</c> in one fixed buffer per
/// connection, a lines/s and bytes/s limit, every line escaped — and each drop counted in
/// <see cref="RuntimeLog.Drops"/>. Removes its socket file when disposed.
/// </summary>
public sealed class GuestLogListener : IDisposable
{
    private const int ReceiveBufferBytes = 16 * 1024;

    private readonly Socket _listener;
    private readonly string _path;
    private readonly RuntimeLog _log;
    private readonly GuestOutputLimits _limits;
    private readonly GuestLineRateLimit _rate;
    private readonly IntervalDropReport _refusals;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action _connected;
    private readonly Task _accepting;
    private int _connections;

    private GuestLogListener(Socket listener, string path, RuntimeLog log, GuestOutputLimits limits, Action connected)
    {
        _listener = listener;
        _path = path;
        _log = log;
        _limits = limits;
        _rate = new GuestLineRateLimit(limits, log, "guest log");
        _refusals = new IntervalDropReport(log, limits.SummaryInterval,
            n => $"refused {n} connections to the guest log port (at most {limits.MaxLogConnections} at once)");
        _connected = connected;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Connections being read now (at most <see cref="GuestOutputLimits.MaxLogConnections"/>).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <param name="path">"&lt;vsock socket&gt;_&lt;port&gt;", where the VMM forwards guest connections to that host port.</param>
    /// <param name="connected">Called when a log connection is accepted (the agent's lines then come here).</param>
    /// <param name="limits">The bounds; <see cref="GuestOutputLimits.Default"/> when null.</param>
    public static GuestLogListener Start(string path, RuntimeLog log, Action connected, GuestOutputLimits? limits = null)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(4);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new GuestLogListener(listener, path, log, limits ?? GuestOutputLimits.Default, connected);
    }

    private async Task AcceptAsync()
    {
        var readers = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client = await _listener.AcceptAsync(_stop.Token);
                readers.RemoveAll(reader => reader.IsCompleted);
                if (Volatile.Read(ref _connections) >= _limits.MaxLogConnections)
                {
                    _log.Drops.CountRefusedGuestLogConnection();
                    _refusals.Add();
                    client.Dispose();
                    continue;
                }
                Interlocked.Increment(ref _connections);
                _connected();
                readers.Add(ReadLinesAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping.
        }
        await Task.WhenAll(readers);
    }

    private async Task ReadLinesAsync(Socket client)
    {
        var buffer = new byte[ReceiveBufferBytes];
        var lines = new BoundedLineSplitter(_limits.MaxLineBytes);
        try
        {
            int received;
            while ((received = await client.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, _stop.Token)) > 0)
            {
                lines.Append(buffer.AsSpan(0, received), OnLine);
            }
            lines.Finish(OnLine);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The guest closed the connection or we are stopping.
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    private void OnLine(ReadOnlySpan<byte> line, bool truncated)
    {
        if (truncated)
        {
            _log.Drops.CountTruncatedGuestLine();
        }
        if (!_rate.TryAdmit(line.Length))
        {
            return;
        }
        AgentLogLine parsed = AgentLogLine.Parse(Encoding.UTF8.GetString(line));
        string cut = truncated ? $" …[cut at {_limits.MaxLineBytes} bytes]" : "";
        _log.Log(parsed.Severity, $"guest agent: {UntrustedText.Escape(parsed.Text, _limits.MaxLineBytes)}{cut}");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _accepting.Wait(TimeSpan.FromSeconds(2));
        _rate.Dispose();
        _refusals.Dispose();
        _stop.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (DirectoryNotFoundException)
        {
            // The VM's directory went first (the confined VMM's root is removed with it): nothing left to delete.
        }
    }
}
