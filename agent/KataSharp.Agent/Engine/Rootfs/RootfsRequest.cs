namespace KataSharp.Agent.Engine.Rootfs;

/// <summary>The layers of a container's root filesystem (base first) and the size cap of its writable upper (0 = tmpfs default).</summary>
public sealed record RootfsRequest(IReadOnlyList<LayerSpec> Layers, ulong ScratchSizeBytes = 0);
