namespace KataSharp.Runtime.Sandbox;

/// <summary>The content of a host file that the spec bind-mounts at <see cref="Destination"/>.</summary>
public sealed record ContainerFile(string Destination, byte[] Content, bool ReadOnly);
