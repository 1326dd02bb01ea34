namespace KataSharp.Linux.Memory;

/// <summary>memfd seals (F_SEAL_*, fcntl(2)): each forbids one kind of change for good.</summary>
[Flags]
public enum MemFdSeals
{
    None = 0,
    Seal = 0x1,
    Shrink = 0x2,
    Grow = 0x4,
    Write = 0x8,
}
