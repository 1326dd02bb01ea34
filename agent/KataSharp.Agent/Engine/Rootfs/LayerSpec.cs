namespace KataSharp.Agent.Engine.Rootfs;

/// <summary>One read-only layer of a root filesystem: a block disk by serial, or an existing guest directory.</summary>
public sealed record LayerSpec(string? BlockSerial, string? GuestDirectory, string Fstype = "erofs");
