using System.Net.Sockets;
using KataSharp.Runtime.Logging;

namespace KataSharp.Shim.Backend;

/// <summary>
/// Receives the agent's log lines: the agent connects to host vsock port 1025, which the VMM's
/// hybrid vsock forwards to the unix socket "&lt;vsock socket&gt;_1025" served here. Each line goes to
/// the shim log with the sandbox id. Removes its socket file when disposed.
/// </summary>
public sealed class GuestLogListener : IDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly RuntimeLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action _connected;
    private readonly Task _accepting;

    private GuestLogListener(Socket listener, string path, RuntimeLog log, Action connected)
    {
        _listener = listener;
        _path = path;
        _log = log;
        _connected = connected;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <param name="path">"&lt;vsock socket&gt;_&lt;port&gt;", where the VMM forwards guest connections to that host port.</param>
    /// <param name="connected">Called when the agent connects (its lines then come here).</param>
    public static GuestLogListener Start(string path, RuntimeLog log, Action connected)
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
        return new GuestLogListener(listener, path, log, connected);
    }

    private async Task AcceptAsync()
    {
        var readers = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client = await _listener.AcceptAsync(_stop.Token);
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
        using var stream = new NetworkStream(client, ownsSocket: true);
        using var reader = new StreamReader(stream);
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                _log.Info($"guest agent: {line}");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The guest closed the connection or we are stopping.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _accepting.Wait(TimeSpan.FromSeconds(2));
        _stop.Dispose();
        File.Delete(_path);
    }
}
