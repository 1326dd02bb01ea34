namespace KataSharp.Runtime.Sandbox;

/// <summary>A layer image sitting in a block slot; the guest finds the disk by its virtio-blk serial.</summary>
public sealed record AttachedLayer(string ImagePath, string Serial);
