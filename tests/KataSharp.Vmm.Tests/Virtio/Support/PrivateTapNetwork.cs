using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using KataSharp.Linux.Namespaces;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// A tap in a network namespace of its own (anonymous: nothing outside this process can see it, and it
/// cannot outlive the process), with the host side at <see cref="HostAddress"/>/24 and a permanent
/// neighbour entry for the guest. The tap is not persistent: it disappears when its last descriptor closes;
/// the namespace disappears when this object and every socket made in it are disposed.
/// </summary>
internal sealed class PrivateTapNetwork : IDisposable
{
    public const string TapName = "kstap0";

    public static readonly IPAddress HostAddress = IPAddress.Parse("10.213.0.1");

    public static readonly IPAddress GuestAddress = IPAddress.Parse("10.213.0.2");

    private readonly List<Socket> _sockets = [];

    public PrivateTapNetwork()
    {
        Namespace = NetworkNamespace.CreateAnonymous();
    }

    public NetworkNamespace Namespace { get; }

    /// <summary>Opens (creating) the tap inside the namespace, the way the shim does for a pod.</summary>
    public TapDevice OpenTap(TunFlags flags = TunFlags.VnetHeader) => Namespace.Run(() => TapDevice.Open(TapName, flags));

    /// <summary>Host side up, no IPv6 (no router solicitations in the guest's buffers), an address, and the
    /// guest's MAC as a permanent neighbour (no ARP needed to reach it).</summary>
    public void Configure(PhysicalAddress guestMac)
    {
        Run("sysctl", "-qw", $"net.ipv6.conf.{TapName}.disable_ipv6=1");
        Run("ip", "link", "set", "dev", TapName, "up");
        Run("ip", "addr", "add", $"{HostAddress}/24", "dev", TapName);
        Run("ip", "neigh", "replace", GuestAddress.ToString(), "lladdr", NetOptions.Format(guestMac), "dev", TapName, "nud", "permanent");
    }

    /// <summary>The tap's own MAC (the host side's address on the link).</summary>
    public PhysicalAddress TapMac => PhysicalAddress.Parse(Link().GetProperty("address").GetString()!.ToUpperInvariant().Replace(':', '-'));

    /// <summary>The tap's kernel counters (rx = from us, tx = to us; tx.dropped = frames its queue had no room for).</summary>
    public (long TxPackets, long TxDropped) TapStatistics
    {
        get
        {
            JsonElement tx = Link().GetProperty("stats64").GetProperty("tx");
            return (tx.GetProperty("packets").GetInt64(), tx.GetProperty("dropped").GetInt64());
        }
    }

    /// <summary>True while the tap interface exists in the namespace.</summary>
    public bool TapExists => TryRun(out _, "ip", "link", "show", "dev", TapName);

    /// <summary>A UDP socket bound in the namespace at <see cref="HostAddress"/>:<paramref name="port"/>.</summary>
    public Socket UdpSocket(int port)
    {
        Socket socket = Namespace.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(HostAddress, port));
            return s;
        });
        socket.ReceiveTimeout = 10_000;
        _sockets.Add(socket);
        return socket;
    }

    private JsonElement Link()
    {
        string json = Run("ip", "-j", "-s", "link", "show", "dev", TapName);
        return JsonDocument.Parse(json).RootElement[0];
    }

    /// <summary>Runs a command inside the namespace (nsenter); throws with its stderr when it fails.</summary>
    public string Run(params string[] command) =>
        TryRun(out string output, command) ? output : throw new InvalidOperationException($"'{string.Join(' ', command)}' in the test namespace failed: {output}");

    private bool TryRun(out string output, params string[] command)
    {
        var start = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add($"--net={Namespace.Path}");
        foreach (string part in command)
        {
            start.ArgumentList.Add(part);
        }
        using Process process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        output = process.ExitCode == 0 ? stdout : errors.Result;
        return process.ExitCode == 0;
    }

    public void Dispose()
    {
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }
        Namespace.Dispose();
    }
}
