namespace KataSharp.Runtime.Persistence;

/// <summary>A container of a persisted sandbox.</summary>
public sealed record ContainerRecord(string Id, string Bundle);
