using System.Net.Sockets;

namespace KataSharp.Runtime.Telemetry;

/// <summary>A listening unix stream socket at a path, mode 0600 (the metrics show the pod's insides: root's only).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class UnixListener
{
    public static Socket Bind(string path)
    {
        File.Delete(path); // a previous shim's socket (the state directory outlives a crashed shim)
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            // Before listen(): until then every connect is refused, so no one gets in under the umask's mode.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(MetricsHttpServer.MaxConnections);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
