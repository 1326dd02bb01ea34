using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Vhost.Interop;

/// <summary>struct vhost_memory_region (linux/vhost_types.h): one guest-physical range and where it is mapped in the
/// VMM; vhost translates every descriptor address through these and refuses the rest.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_memory_region
{
    public ulong guest_phys_addr;
    public ulong memory_size;
    public ulong userspace_addr;
    public ulong flags_padding;
}
