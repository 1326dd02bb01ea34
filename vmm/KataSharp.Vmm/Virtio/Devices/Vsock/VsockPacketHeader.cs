using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>struct virtio_vsock_hdr (44 bytes, packed, little-endian). Guest-written headers are untrusted.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VsockPacketHeader
{
    public const int Size = 44;

    /// <summary>VIRTIO_VSOCK_TYPE_STREAM: the only socket type offered (no SEQPACKET feature).</summary>
    public const ushort StreamType = 1;

    public ulong SourceCid;
    public ulong DestinationCid;
    public uint SourcePort;
    public uint DestinationPort;
    public uint Length;
    public ushort Type;
    public VsockOp Op;
    public uint Flags;
    public uint BufferAllocation;
    public uint ForwardCount;

    public override readonly string ToString() =>
        $"{Op} {SourceCid}:{SourcePort} -> {DestinationCid}:{DestinationPort} len {Length} flags {Flags} buf_alloc {BufferAllocation} fwd_cnt {ForwardCount}";
}
