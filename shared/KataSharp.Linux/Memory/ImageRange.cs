namespace KataSharp.Linux.Memory;

/// <summary>A page-aligned range of this process's executable mapping, and how much of it was resident when found.</summary>
public readonly record struct ImageRange(ulong Start, ulong Length, long ResidentKib);
