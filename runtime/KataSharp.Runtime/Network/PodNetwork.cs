using KataSharp.Linux;
using KataSharp.Linux.Namespaces;
using KataSharp.Linux.Netlink;
using KataSharp.Linux.Network;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Network;

/// <summary>
/// A pod's network namespace connected to the VM the Kata way (tcfilter): for each CNI-made veth
/// (see <see cref="PodNetworkScan"/>), a tap <c>tapN_kata</c> in the same namespace (IFF_TAP | IFF_NO_PI |
/// IFF_VNET_HDR, MTU of the veth, up), an ingress qdisc on both, and a match-all u32 filter on each ingress
/// whose mirred action redirects to the other's egress: frames from the pod network arrive on the tap fd
/// (the VM's RX), frames the VM writes to the tap fd leave through the veth. The veth keeps its addresses
/// and routes; they are the configuration the guest copies (<see cref="Interfaces"/>).
/// <para>
/// Ownership: the PodNetwork owns the taps' fds, a netlink socket bound to the pod's namespace and an open
/// handle of that namespace; the VMM borrows <c>Interfaces[i].Tap</c>. Dispose (after the VM has stopped)
/// removes the filters, the qdiscs and the taps and closes every fd; it is idempotent and also works when
/// the namespace's file is already gone. If the shim is killed instead, the kernel closes the fds and the
/// taps (not persistent) vanish with their qdiscs; what remains is the ingress qdisc and redirect filter on
/// each veth, inside the pod's namespace, which go when CNI DEL deletes the veth or the namespace.
/// </para>
/// </summary>
public sealed class PodNetwork : IDisposable
{
    /// <summary>The tc priority of both redirect filters (fixed, so teardown finds exactly ours).</summary>
    public const ushort FilterPriority = 1;

    private readonly object _lock = new();
    private readonly NetworkNamespace _namespace;
    private readonly List<TapRedirect> _redirects = [];
    private readonly List<PodInterface> _interfaces = [];
    private RouteNetlink? _netlink;
    private bool _disposed;

    private PodNetwork(string namespacePath, NetworkNamespace networkNamespace)
    {
        NamespacePath = namespacePath;
        _namespace = networkNamespace;
    }

    public string NamespacePath { get; }

    /// <summary>The path names the shim's own network namespace (the host's): nothing was attached, <see cref="Interfaces"/> is empty.</summary>
    public bool IsHostNamespace { get; private set; }

    /// <summary>The connected interfaces, in ifindex order (tap0_kata first). Empty when the namespace has no
    /// configured interface besides loopback, or is the host's own (<see cref="IsHostNamespace"/>): the VM then gets
    /// no network device.</summary>
    public IReadOnlyList<PodInterface> Interfaces => _interfaces;

    /// <summary>
    /// Connects the interfaces of the network namespace at <paramref name="namespacePath"/> (the OCI spec's
    /// linux.namespaces network path, e.g. /var/run/netns/cni-…). Bad input fails with a <see cref="RuntimeException"/>
    /// naming it: InvalidArgument for a path that does not exist or is not a network namespace,
    /// NotImplemented for an interface kind other than veth; any failure midway undoes what was done.
    /// </summary>
    public static PodNetwork Attach(string namespacePath)
    {
        var network = new PodNetwork(namespacePath, OpenNamespace(namespacePath));
        try
        {
            if (network.IsSameAsCaller())
            {
                // The host's own network (`ctr run --with-ns network:/proc/1/ns/net`, or any path naming the shim's
                // namespace) is never taken over: its interfaces are the host's, not a pod's. The VM gets no network
                // device, as for a host-network pod.
                network.IsHostNamespace = true;
                return network;
            }
            // Every object bound to the pod's namespace (netlink socket, tap fds) is created on a private thread
            // that entered it; the thread ends afterwards and no pool thread ever changes namespace.
            using NetworkNamespaceThread thread = NetworkNamespaceThread.Start(network._namespace, "pod-netns");
            thread.Invoke(network.Connect);
            return network;
        }
        catch (Exception e)
        {
            List<string> leftovers = network.Teardown();
            if (leftovers.Count > 0)
            {
                throw new RuntimeException(e is RuntimeException r ? r.Error : RuntimeError.Internal,
                    $"{e.Message}; undoing it also failed: {string.Join("; ", leftovers)}", e);
            }
            throw;
        }
    }

    /// <summary>Removes the filters, qdiscs and taps and closes the fds; idempotent. Throws (after doing everything
    /// it can) a RuntimeException listing what could not be removed.</summary>
    public void Dispose()
    {
        List<string> failures = Teardown();
        if (failures.Count > 0)
        {
            throw new RuntimeException(RuntimeError.Internal, $"pod network {NamespacePath}: teardown left: {string.Join("; ", failures)}");
        }
    }

    /// <summary>
    /// What the kernel does when the shim is killed: the fds are closed, nothing is removed through netlink.
    /// For tests of what a crash leaves behind; the object is unusable afterwards.
    /// </summary>
    internal void CloseWithoutTeardown()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (TapRedirect redirect in _redirects)
            {
                redirect.Tap?.Dispose();
            }
            _netlink?.Dispose();
            _namespace.Dispose();
        }
    }

    private bool IsSameAsCaller()
    {
        using NetworkNamespace own = NetworkNamespace.OpenCurrent();
        return _namespace.IsSameAs(own);
    }

    private static NetworkNamespace OpenNamespace(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathRooted(path))
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"network namespace path '{path}' is not an absolute path (expected e.g. /var/run/netns/cni-…)");
        }
        try
        {
            return NetworkNamespace.Open(path);
        }
        catch (LinuxException e)
        {
            string why = e.Errno switch
            {
                Errno.ENOENT => "does not exist (was the pod's network torn down?)",
                Errno.EACCES or Errno.EPERM => "cannot be opened (permission denied)",
                _ => "is not a network namespace",
            };
            throw new RuntimeException(RuntimeError.InvalidArgument, $"network namespace {path} {why}: {e.Message}", e);
        }
    }

    /// <summary>Runs on the namespace thread.</summary>
    private void Connect()
    {
        _netlink = RouteNetlink.Open();
        IReadOnlyList<PodNetworkScan.Candidate> candidates = PodNetworkScan.Select(NamespacePath, _netlink.ListLinks(), _netlink.ListAddresses(),
            _netlink.ListRoutes(), _netlink.ListNeighbours());
        for (int i = 0; i < candidates.Count; i++)
        {
            _interfaces.Add(ConnectOne(i, candidates[i]));
        }
    }

    private PodInterface ConnectOne(int number, PodNetworkScan.Candidate candidate)
    {
        RouteNetlink netlink = _netlink!;
        LinkInfo veth = candidate.Link;
        var redirect = new TapRedirect(veth);
        _redirects.Add(redirect);
        string step = "create the tap";
        try
        {
            redirect.Tap = TapDevice.Create($"tap{number}_kata");
            step = $"find tap {redirect.Tap.Name}";
            redirect.TapIndex = (netlink.FindLink(redirect.Tap.Name) ?? throw new LinuxException($"RTM_GETLINK {redirect.Tap.Name}", (int)Errno.ENODEV)).Index;
            step = $"set the MTU of {redirect.Tap.Name} to {veth.Mtu}";
            netlink.SetMtu(redirect.TapIndex, veth.Mtu);
            step = $"bring {redirect.Tap.Name} up";
            netlink.SetLinkUp(redirect.TapIndex, true);
            step = $"add an ingress qdisc to {redirect.Tap.Name}";
            netlink.AddIngressQdisc(redirect.TapIndex);
            redirect.TapQdisc = true;
            step = $"add an ingress qdisc to {veth.Name}";
            netlink.AddIngressQdisc(veth.Index);
            redirect.VethQdisc = true;
            step = $"redirect {veth.Name} ingress to {redirect.Tap.Name}";
            netlink.AddIngressRedirect(veth.Index, redirect.TapIndex, FilterPriority);
            redirect.VethFilter = true;
            step = $"redirect {redirect.Tap.Name} ingress to {veth.Name}";
            netlink.AddIngressRedirect(redirect.TapIndex, veth.Index, FilterPriority);
            redirect.TapFilter = true;
        }
        catch (LinuxException e)
        {
            RuntimeError error = e.Errno switch
            {
                Errno.EBUSY or Errno.EEXIST => RuntimeError.FailedPrecondition,
                Errno.ENOENT or Errno.EOPNOTSUPP => RuntimeError.NotImplemented,
                _ => RuntimeError.Internal,
            };
            string hint = e.Errno switch
            {
                Errno.EBUSY or Errno.EEXIST => " (is another runtime attached to this pod network?)",
                Errno.ENOENT or Errno.EOPNOTSUPP => " (does the host kernel have sch_ingress, cls_u32, act_mirred and tun?)",
                _ => "",
            };
            throw new RuntimeException(error, $"pod network {NamespacePath}: interface {veth.Name}: cannot {step}{hint}: {e.Message}", e);
        }
        return new PodInterface
        {
            Name = veth.Name,
            Index = veth.Index,
            Tap = redirect.Tap,
            TapIndex = redirect.TapIndex,
            GuestMac = veth.Address!,
            Mtu = veth.Mtu,
            Addresses = candidate.Addresses,
            Routes = candidate.Routes,
            Neighbours = candidate.Neighbours,
        };
    }

    /// <summary>Removes what exists, newest first, continuing past failures; returns what failed.</summary>
    private List<string> Teardown()
    {
        var failures = new List<string>();
        lock (_lock)
        {
            if (_disposed)
            {
                return failures;
            }
            _disposed = true;
            for (int i = _redirects.Count - 1; i >= 0; i--)
            {
                _redirects[i].Remove(_netlink, failures);
            }
            _netlink?.Dispose();
            _namespace.Dispose();
        }
        return failures;
    }

    /// <summary>What was set up for one veth, so teardown (and rollback) removes exactly that.</summary>
    private sealed class TapRedirect(LinkInfo veth)
    {
        public TapDevice? Tap { get; set; }

        public int TapIndex { get; set; }

        public bool TapQdisc { get; set; }

        public bool VethQdisc { get; set; }

        public bool VethFilter { get; set; }

        public bool TapFilter { get; set; }

        public void Remove(RouteNetlink? netlink, List<string> failures)
        {
            if (netlink is not null)
            {
                // The veth's side first, so nothing more is sent toward a tap that is going away.
                Try(VethFilter, $"the redirect filter on {veth.Name}", () => netlink.DeleteIngressFilter(veth.Index, FilterPriority), failures);
                Try(VethQdisc, $"the ingress qdisc on {veth.Name}", () => netlink.DeleteIngressQdisc(veth.Index), failures);
                Try(TapFilter, $"the redirect filter on {Tap?.Name}", () => netlink.DeleteIngressFilter(TapIndex, FilterPriority), failures);
                Try(TapQdisc, $"the ingress qdisc on {Tap?.Name}", () => netlink.DeleteIngressQdisc(TapIndex), failures);
                Try(TapIndex > 0, $"tap {Tap?.Name}", () => netlink.DeleteLink(TapIndex), failures);
            }
            VethFilter = VethQdisc = TapFilter = TapQdisc = false;
            TapIndex = 0;
            Tap?.Dispose(); // closing the last fd removes a non-persistent tap in any case
        }

        private static void Try(bool present, string what, Func<bool> remove, List<string> failures)
        {
            if (!present)
            {
                return;
            }
            try
            {
                remove();
            }
            catch (Exception e) when (e is LinuxException or ObjectDisposedException)
            {
                failures.Add($"{what}: {e.Message}");
            }
        }
    }
}
