namespace KataSharp.Runtime.Model;

/// <summary>One rootfs mount containerd's snapshotter prepared for a container (e.g. overlay with lowerdirs).</summary>
public sealed record RootfsMount(string Type, string Source, IReadOnlyList<string> Options);
