using KataSharp.Linux.Namespaces;
using KataSharp.Linux.Netlink;

namespace KataSharp.Tests.Shared.Network;

/// <summary>
/// (tests/Shared: compiled into each test project that needs it.)
/// A private, named network namespace for one test (/run/netns/ks-test-…, as CNI would pin one), with a
/// thread inside it and rtnetlink bound to it. Dispose closes everything and removes the namespace.
/// </summary>
public sealed class ScratchNamespace : IDisposable
{
    public ScratchNamespace()
    {
        Directory.CreateDirectory("/run/netns");
        Path = $"/run/netns/ks-test-{Guid.NewGuid():N}"[..28];
        NetworkNamespace.CreateNamed(Path);
        Namespace = NetworkNamespace.Open(Path);
        Thread = NetworkNamespaceThread.Start(Namespace, "test-netns");
        Netlink = Thread.Invoke(() => RouteNetlink.Open());
    }

    public string Path { get; }

    public NetworkNamespace Namespace { get; }

    public NetworkNamespaceThread Thread { get; }

    public RouteNetlink Netlink { get; }

    public LinkInfo Link(string name) => Netlink.FindLink(name) ?? throw new InvalidOperationException($"no link {name} in {Path}");

    public void Dispose()
    {
        Netlink.Dispose();
        Thread.Dispose();
        Namespace.Dispose();
        NetworkNamespace.DeleteNamed(Path);
    }
}
