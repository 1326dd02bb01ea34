using System.Text;
using KataSharp.Vmm.Kvm;
using KataSharp.Vmm.Vcpu;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Net;
using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Devices.Vsock;

namespace KataSharp.Vmm.Metrics;

/// <summary>
/// The VMM's counters of one microVM: vCPU exits by kind, and each virtio device's requests, bytes and errors. Read racily
/// (each counter has one writer; a scrape may see one a request behind another, which a counter tolerates). The names are
/// the shim's to prefix; <see cref="Help"/> is the whole list, which the shim accepts and nothing else.
/// </summary>
public static class VmMetrics
{
    public const string VcpuExits = "vcpu_exits";
    public const string BlockRequests = "block_requests";
    public const string BlockBytes = "block_bytes";
    public const string BlockErrors = "block_errors";
    public const string BlockMediaChanges = "block_media_changes";
    public const string NetFrames = "net_frames";
    public const string NetBytes = "net_bytes";
    public const string NetDropped = "net_dropped_frames";
    public const string NetErrors = "net_backend_errors";
    public const string VsockConnections = "vsock_connections";
    public const string VsockPackets = "vsock_packets";
    public const string VsockBytes = "vsock_bytes";
    public const string VsockResets = "vsock_resets";
    public const string VsockProtocolViolations = "vsock_protocol_violations";
    public const string RngRequests = "rng_requests";
    public const string RngBytes = "rng_bytes";

    /// <summary>Every name with its help text: the shim accepts these names and no other.</summary>
    public static IReadOnlyDictionary<string, string> Help { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [VcpuExits] = "vCPU exits to the VMM (KVM_RUN returns) by vCPU and kind",
        [BlockRequests] = "virtio-blk requests by device and operation",
        [BlockBytes] = "virtio-blk bytes read and written by device",
        [BlockErrors] = "virtio-blk requests answered IOERR or UNSUPP",
        [BlockMediaChanges] = "media inserted into or ejected from a virtio-blk slot",
        [NetFrames] = "virtio-net frames by device and direction (rx: to the guest)",
        [NetBytes] = "virtio-net Ethernet bytes by device and direction",
        [NetDropped] = "virtio-net frames dropped",
        [NetErrors] = "tap reads or writes that failed",
        [VsockConnections] = "vsock connections opened",
        [VsockPackets] = "vsock packets by direction",
        [VsockBytes] = "vsock payload bytes by direction",
        [VsockResets] = "vsock resets sent to the guest",
        [VsockProtocolViolations] = "guest vsock packets that broke the protocol",
        [RngRequests] = "virtio-rng requests",
        [RngBytes] = "virtio-rng bytes served",
    };

    public static IReadOnlyList<VmMetric> Of(MicroVm vm)
    {
        var metrics = new List<VmMetric>();
        for (int i = 0; i < vm.Vcpus.Count; i++)
        {
            VcpuThread vcpu = vm.Vcpus[i];
            foreach (VcpuExitKind kind in Enum.GetValues<VcpuExitKind>())
            {
                metrics.Add(new VmMetric(VcpuExits, Labels(("vcpu", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("kind", SnakeCase(kind.ToString()))), vcpu.ExitCount(kind)));
            }
        }
        foreach (var attached in vm.Devices)
        {
            switch (attached.Device)
            {
                case BlockDevice block:
                    AddBlock(metrics, attached.Name, block.Metrics);
                    break;
                case NetDevice net:
                    AddNet(metrics, attached.Name, net.Metrics);
                    break;
                case VsockDevice vsock:
                    AddVsock(metrics, vsock.Metrics);
                    break;
                case RngDevice rng:
                    metrics.Add(new VmMetric(RngRequests, Labels(), rng.Metrics.Requests));
                    metrics.Add(new VmMetric(RngBytes, Labels(), rng.Metrics.BytesServed));
                    break;
            }
        }
        return metrics;
    }

    private static void AddBlock(List<VmMetric> metrics, string device, BlockMetrics m)
    {
        metrics.Add(new VmMetric(BlockRequests, Labels(("device", device), ("op", "read")), m.Reads));
        metrics.Add(new VmMetric(BlockRequests, Labels(("device", device), ("op", "write")), m.Writes));
        metrics.Add(new VmMetric(BlockRequests, Labels(("device", device), ("op", "flush")), m.Flushes));
        metrics.Add(new VmMetric(BlockBytes, Labels(("device", device), ("op", "read")), m.BytesRead));
        metrics.Add(new VmMetric(BlockBytes, Labels(("device", device), ("op", "write")), m.BytesWritten));
        metrics.Add(new VmMetric(BlockErrors, Labels(("device", device)), m.Errors));
        metrics.Add(new VmMetric(BlockMediaChanges, Labels(("device", device)), m.MediaChanges));
    }

    private static void AddNet(List<VmMetric> metrics, string device, NetMetrics m)
    {
        metrics.Add(new VmMetric(NetFrames, Labels(("device", device), ("direction", "rx")), m.RxFrames));
        metrics.Add(new VmMetric(NetFrames, Labels(("device", device), ("direction", "tx")), m.TxFrames));
        metrics.Add(new VmMetric(NetBytes, Labels(("device", device), ("direction", "rx")), m.RxBytes));
        metrics.Add(new VmMetric(NetBytes, Labels(("device", device), ("direction", "tx")), m.TxBytes));
        metrics.Add(new VmMetric(NetDropped, Labels(("device", device)), m.TotalDropped));
        metrics.Add(new VmMetric(NetErrors, Labels(("device", device)), m.BackendErrors));
    }

    private static void AddVsock(List<VmMetric> metrics, VsockMetrics m)
    {
        metrics.Add(new VmMetric(VsockConnections, Labels(), m.ConnectionsOpened));
        metrics.Add(new VmMetric(VsockPackets, Labels(("direction", "from_guest")), m.PacketsFromGuest));
        metrics.Add(new VmMetric(VsockPackets, Labels(("direction", "to_guest")), m.PacketsToGuest));
        metrics.Add(new VmMetric(VsockBytes, Labels(("direction", "from_guest")), m.BytesFromGuest));
        metrics.Add(new VmMetric(VsockBytes, Labels(("direction", "to_guest")), m.BytesToGuest));
        metrics.Add(new VmMetric(VsockResets, Labels(), m.ResetsSent));
        metrics.Add(new VmMetric(VsockProtocolViolations, Labels(), m.ProtocolViolations));
    }

    private static Dictionary<string, string> Labels(params (string Key, string Value)[] labels) =>
        labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);

    /// <summary>"MmioWrite" → "mmio_write": label values are lower-case words.</summary>
    internal static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (char c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('_');
            }
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
