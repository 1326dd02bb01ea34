using System.Text;
using System.Threading.Channels;
using KataSharp.Agent.Protocol;
using KataSharp.Linux;
using KataSharp.Linux.Sockets;

namespace KataSharp.Agent.Logging;

/// <summary>
/// Where log lines go: the console (stderr, which init connects to the serial console) and, in the
/// guest, the host's vsock port 1025. Lines queue in a bounded channel and a background task writes
/// them, so logging never blocks a request; when no host listener exists the vsock copy is dropped
/// and reconnection is tried again after a pause.
/// </summary>
public sealed class LogSink : IDisposable
{
    private static readonly TimeSpan ReconnectPause = TimeSpan.FromSeconds(30);
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly bool _toVsock;
    private readonly Task _writer;
    private StreamSocket? _vsock;
    private DateTime _nextConnect = DateTime.MinValue;

    public LogSink(bool toVsock)
    {
        _toVsock = toVsock;
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Write(string line) => _lines.Writer.TryWrite(line);

    private async Task WriteLoopAsync()
    {
        Stream console = Console.OpenStandardError();
        await foreach (string line in _lines.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
            try
            {
                console.Write(bytes);
            }
            catch (IOException)
            {
            }
            if (_toVsock)
            {
                SendToHost(bytes);
            }
        }
    }

    private void SendToHost(byte[] bytes)
    {
        if (_vsock is null && DateTime.UtcNow >= _nextConnect)
        {
            try
            {
                // A blocking connect: the VMM answers at once (accept or reset) when nobody listens on
                // the host side; the socket turns non-blocking afterwards so a slow host costs lines, not time.
                _vsock = StreamSocket.ConnectVsock(StreamSocket.VsockHostCid, AgentProtocolConstants.LogPort, nonBlocking: false);
                _vsock.Descriptor.SetNonBlocking();
            }
            catch (LinuxException)
            {
                _nextConnect = DateTime.UtcNow + ReconnectPause;
            }
        }
        if (_vsock is null)
        {
            return;
        }
        try
        {
            // Non-blocking: a slow host drops log lines rather than stalling the agent.
            _vsock.Send(bytes);
        }
        catch (LinuxException)
        {
            _vsock.Dispose();
            _vsock = null;
            _nextConnect = DateTime.UtcNow + ReconnectPause;
        }
    }

    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(2));
        _vsock?.Dispose();
    }
}
