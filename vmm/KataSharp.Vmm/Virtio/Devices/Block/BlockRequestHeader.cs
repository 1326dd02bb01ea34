using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>struct virtio_blk_outhdr: the 16 bytes every request starts with (guest-written, unchecked).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockRequestHeader
{
    public BlockRequestType Type;
    public uint Reserved;
    public ulong Sector;
}
