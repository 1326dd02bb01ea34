using System.Globalization;
using System.Text;
using KataSharp.Linux;
using KataSharp.Linux.Sockets;

namespace KataSharp.TestTool;

/// <summary>
/// The vsock and VMM-control subcommands (guest side over AF_VSOCK, host side over the VMM's
/// hybrid-vsock unix socket):
///   vsock-serve PORT MODE [--once]                 guest: serve vsock PORT (echo | sink | source:BYTES); --once: exit after one connection
///   unix-serve PATH MODE                           host: serve a unix socket (the target of guest connections)
///   vsock-client CID PORT MODE STREAMS BYTES       guest: STREAMS concurrent clients (echo | sink | source | rtt)
///   hvsock-client SOCKET PORT MODE STREAMS BYTES   host: the same through SOCKET and "CONNECT PORT"
///   vmm-control PATH WORDS...                      send one command to katasharp-vmm --control PATH, print the answer
/// </summary>
internal static class VsockCommands
{
    public const string Usage = """
          katasharp-testtool vsock-serve PORT MODE [--once]                (MODE: echo | sink | source:BYTES)
          katasharp-testtool unix-serve PATH MODE
          katasharp-testtool vsock-client CID PORT MODE STREAMS BYTES      (MODE: echo | sink | source | rtt)
          katasharp-testtool hvsock-client SOCKET PORT MODE STREAMS BYTES
          katasharp-testtool vmm-control PATH WORDS...
        """;

    /// <summary>Runs the command if <paramref name="args"/> names one of these; null otherwise.</summary>
    public static int? TryRun(string[] args)
    {
        try
        {
            return args switch
            {
                ["vsock-serve", var port, var mode] => Serve(StreamSocket.ListenVsock(Number(port)), mode),
                ["vsock-serve", var port, var mode, "--once"] => ServeOnce(StreamSocket.ListenVsock(Number(port)), mode),
                ["unix-serve", var path, var mode] => Serve(StreamSocket.ListenUnix(path, nonBlocking: false), mode),
                ["vsock-client", var cid, var port, var mode, var streams, var bytes] =>
                    StreamTraffic.RunClients("vsock-client", () => StreamSocket.ConnectVsock(Number(cid), Number(port)), mode, (int)Number(streams), long.Parse(bytes, CultureInfo.InvariantCulture)),
                ["hvsock-client", var socket, var port, var mode, var streams, var bytes] =>
                    StreamTraffic.RunClients("hvsock-client", () => HybridConnect(socket, Number(port)), mode, (int)Number(streams), long.Parse(bytes, CultureInfo.InvariantCulture)),
                ["vmm-control", var path, .. var words] when words.Length > 0 => Control(path, string.Join(' ', words)),
                _ => null,
            };
        }
        catch (Exception e) when (e is LinuxException or FormatException or ArgumentException or IOException)
        {
            Console.Error.WriteLine($"katasharp-testtool {args[0]}: {e.Message}");
            return 1;
        }
    }

    private static uint Number(string text) => uint.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Accepts forever (the test ends it), one thread per connection.</summary>
    private static int Serve(StreamSocket listener, string mode)
    {
        Console.WriteLine($"serving {mode}");
        while (true)
        {
            StreamSocket? client = listener.Accept(nonBlocking: false);
            if (client is null)
            {
                continue;
            }
            new Thread(() =>
            {
                try
                {
                    StreamTraffic.Serve(client, mode);
                }
                catch (LinuxException e)
                {
                    Console.Error.WriteLine($"connection failed: {e.Message}");
                }
            }) { IsBackground = true }.Start();
        }
    }

    /// <summary>Serves one connection, then exits (a guest script waits on it for "the host is done").</summary>
    private static int ServeOnce(StreamSocket listener, string mode)
    {
        using (listener)
        {
            Console.WriteLine($"serving {mode} once");
            StreamTraffic.Serve(listener.Accept(nonBlocking: false)!, mode);
            return 0;
        }
    }

    /// <summary>The hybrid-vsock handshake: "CONNECT port\n", then "OK hostport\n" once the guest accepted.</summary>
    private static StreamSocket HybridConnect(string socketPath, uint port)
    {
        StreamSocket socket = StreamSocket.ConnectUnix(socketPath, nonBlocking: false);
        try
        {
            socket.SendAll(Encoding.ASCII.GetBytes($"CONNECT {port}\n"));
            string line = ReadLine(socket);
            if (!line.StartsWith("OK ", StringComparison.Ordinal))
            {
                throw new IOException($"CONNECT {port} answered '{line}' instead of OK (is the guest listening?)");
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static int Control(string path, string command)
    {
        using StreamSocket socket = StreamSocket.ConnectUnix(path, nonBlocking: false);
        socket.SendAll(Encoding.UTF8.GetBytes(command + "\n"));
        string answer = ReadLine(socket);
        Console.WriteLine(answer);
        return answer == "OK" ? 0 : 1;
    }

    private static string ReadLine(StreamSocket socket)
    {
        var line = new StringBuilder();
        Span<byte> one = stackalloc byte[1];
        while (line.Length < 4096 && socket.Receive(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }
        return line.ToString();
    }
}
