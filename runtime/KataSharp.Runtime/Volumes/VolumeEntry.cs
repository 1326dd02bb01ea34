namespace KataSharp.Runtime.Volumes;

/// <summary>One entry of a volume tree, as lstat sees it (a symlink is an entry with its target text, never followed).</summary>
/// <param name="Changed">For files: size and modification time, which tell a rewrite without reading the content.</param>
public sealed record VolumeEntry(VolumeEntryKind Kind, UnixFileMode Mode, long Size, DateTime Changed, string? LinkTarget);
