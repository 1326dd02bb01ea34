using System.Net.Sockets;
using KataSharp.Runtime.Tasks;
using KataSharp.Runtime.Ttrpc;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>A ttrpc server on a fresh unix socket at a given path, serving a registry (the tests' stand-ins for both ends).</summary>
public static class TestListener
{
    public static (TtrpcServer Server, Task Serving) Serve(string socketPath, TtrpcServiceRegistry registry, Func<PeerCredentials, bool>? acceptPeer = null)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(16);
        var server = new TtrpcServer(listener, registry, new RuntimeErrorStatus(), acceptPeer ?? (_ => true));
        return (server, server.RunAsync());
    }
}
