using System.Globalization;
using System.Text;
using KataSharp.Linux;
using KataSharp.Linux.Sockets;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// A host client that connected to the VM's vsock socket and has not yet finished its
/// <c>CONNECT &lt;port&gt;\n</c> line (the hybrid-vsock convention of Firecracker and Cloud Hypervisor).
/// The line is read one byte at a time so nothing the client sends after it is consumed here;
/// at most <see cref="VsockLimits.HandshakeLineBytes"/> bytes are accepted.
/// </summary>
public sealed class HostHandshake
{
    private readonly byte[] _line = new byte[VsockLimits.HandshakeLineBytes];
    private int _length;

    public HostHandshake(StreamSocket socket, long deadline)
    {
        Socket = socket;
        Deadline = deadline;
    }

    public StreamSocket Socket { get; }

    /// <summary>Environment.TickCount64 after which the client is dropped.</summary>
    public long Deadline { get; }

    internal IDisposable? Registration { get; set; }

    /// <summary>Why the handshake failed, for the log.</summary>
    public string? Problem { get; private set; }

    /// <summary>Reads what has arrived. <paramref name="port"/> is set when the result is <see cref="HandshakeResult.Connect"/>.</summary>
    public HandshakeResult TryRead(out uint port)
    {
        port = 0;
        Span<byte> one = stackalloc byte[1];
        while (true)
        {
            int n;
            try
            {
                n = Socket.Receive(one);
            }
            catch (LinuxException e)
            {
                Problem = e.Message;
                return HandshakeResult.Closed;
            }
            if (n < 0)
            {
                return HandshakeResult.Incomplete;
            }
            if (n == 0)
            {
                Problem = "the client closed before sending CONNECT";
                return HandshakeResult.Closed;
            }
            if (one[0] == (byte)'\n')
            {
                return Parse(out port);
            }
            if (_length == _line.Length)
            {
                Problem = $"no newline within {_line.Length} bytes";
                return HandshakeResult.Invalid;
            }
            _line[_length++] = one[0];
        }
    }

    private HandshakeResult Parse(out uint port)
    {
        port = 0;
        string line = Encoding.ASCII.GetString(_line, 0, _length).TrimEnd('\r');
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 2 && words[0].Equals("CONNECT", StringComparison.OrdinalIgnoreCase)
            && uint.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            return HandshakeResult.Connect;
        }
        Problem = $"expected 'CONNECT <port>', got '{line}'";
        return HandshakeResult.Invalid;
    }
}
