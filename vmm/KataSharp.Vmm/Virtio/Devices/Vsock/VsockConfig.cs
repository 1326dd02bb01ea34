using System.Buffers.Binary;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>struct virtio_vsock_config: the guest's CID as a little-endian u64 (the only field).</summary>
public static class VsockConfig
{
    public const int Size = 8;

    public static void Render(Span<byte> config, uint guestCid) => BinaryPrimitives.WriteUInt64LittleEndian(config, guestCid);
}
