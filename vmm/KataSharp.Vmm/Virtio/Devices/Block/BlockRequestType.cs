namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>virtio_blk_outhdr.type values (virtio spec 1.2 §5.2.6). Anything else is answered UNSUPP.</summary>
public enum BlockRequestType : uint
{
    In = 0,
    Out = 1,
    Flush = 4,
    GetId = 8,
}
