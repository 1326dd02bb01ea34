using System.Globalization;
using System.Net.Sockets;
using KataSharp.Linux;
using KataSharp.Linux.Sockets;

namespace KataSharp.TestTool;

/// <summary>
/// What a hostile container tries against the vsock transport (tests/testhost/shim/escape.sh), each
/// printing one word a script can compare:
///   vsock-probe CID PORT      connect and speak HTTP/2 (client preface + SETTINGS): refused | closed |
///                             connected-no-answer | answered-http2-settings | answered-other
///   vsock-flood CID PORT MIB  write MIB MiB without a newline: refused | sent N | reset-after N
/// </summary>
internal static class EscapeProbeCommands
{
    public const string Usage = """
          katasharp-testtool vsock-probe CID PORT
          katasharp-testtool vsock-flood CID PORT MIB
        """;

    /// <summary>The HTTP/2 connection preface and an empty SETTINGS frame (RFC 9113 §3.4, §6.5).</summary>
    private static readonly byte[] Http2Preface =
        [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 0x4, 0, 0, 0, 0, 0];

    public static int? TryRun(string[] args) => args switch
    {
        ["vsock-probe", var cid, var port] => Probe(Number(cid), Number(port)),
        ["vsock-flood", var cid, var port, var mib] => Flood(Number(cid), Number(port), Number(mib)),
        _ => null,
    };

    private static int Probe(uint cid, uint port)
    {
        StreamSocket connection;
        try
        {
            connection = StreamSocket.ConnectVsock(cid, port);
        }
        catch (LinuxException e)
        {
            Console.WriteLine($"refused {e.Errno}");
            return 0;
        }
        using Socket socket = connection.ToDotNetSocket();
        socket.ReceiveTimeout = 3000;
        socket.SendTimeout = 3000;
        var answer = new byte[64];
        int received;
        try
        {
            socket.Send(Http2Preface);
            received = socket.Receive(answer);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            Console.WriteLine("connected-no-answer");
            return 0;
        }
        catch (SocketException e)
        {
            Console.WriteLine($"closed {e.SocketErrorCode}");
            return 0;
        }
        // A frame header is 9 bytes: 24-bit length, then the type (4 = SETTINGS).
        Console.WriteLine(received == 0 ? "closed" : received >= 9 && answer[3] == 0x4 ? "answered-http2-settings" : "answered-other");
        return 0;
    }

    private static int Flood(uint cid, uint port, uint mib)
    {
        StreamSocket connection;
        try
        {
            connection = StreamSocket.ConnectVsock(cid, port);
        }
        catch (LinuxException e)
        {
            Console.WriteLine($"refused {e.Errno}");
            return 0;
        }
        using Socket socket = connection.ToDotNetSocket();
        socket.SendTimeout = 10_000;
        var chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)'A');
        long sent = 0;
        try
        {
            for (uint i = 0; i < mib; i++)
            {
                socket.Send(chunk);
                sent += chunk.Length;
            }
        }
        catch (SocketException e)
        {
            Console.WriteLine($"reset-after {sent.ToString(CultureInfo.InvariantCulture)} {e.SocketErrorCode}");
            return 0;
        }
        Console.WriteLine($"sent {sent.ToString(CultureInfo.InvariantCulture)}");
        return 0;
    }

    private static uint Number(string text) => uint.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
