namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>The status byte a request ends with.</summary>
public enum BlockStatus : byte
{
    Ok = 0,
    IoError = 1,
    Unsupported = 2,
}
