namespace KataSharp.Agent.Engine.Devices;

/// <summary>A host block device on a virtio-blk disk (by serial), to be bound at <see cref="Destination"/>, which names a bind mount of the spec.</summary>
public sealed record BlockVolumeRequest(string BlockSerial, string Destination);
