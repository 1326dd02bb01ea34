using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Vhost.Interop;

/// <summary>struct vhost_memory (linux/vhost_types.h) without its flexible array: the header of the
/// VHOST_SET_MEM_TABLE argument, followed in the same buffer by nregions <see cref="vhost_memory_region"/>s.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_memory
{
    public uint nregions;
    public uint padding;
}
