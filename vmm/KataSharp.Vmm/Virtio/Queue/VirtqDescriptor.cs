using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>One 16-byte entry of a descriptor table as the guest wrote it: nothing here is trusted yet.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct VirtqDescriptor
{
    public const int Size = 16;

    public ulong Address;
    public uint Length;
    public DescriptorFlags Flags;
    public ushort Next;
}
