namespace KataSharp.Runtime.Volumes;

/// <summary>
/// What the volume code needs from the guest (the agent's CopyFile, RemoveFile and PrepareVolume in the shipped backend;
/// a recording fake in tests). Relative paths are below the agent's shared directory; the agent validates them again.
/// </summary>
public interface IGuestVolumes
{
    /// <summary>Creates (or re-moded) a directory; returns its guest path.</summary>
    Task<string> WriteDirectoryAsync(string relative, UnixFileMode mode, CancellationToken cancellationToken);

    /// <summary>Writes a whole file, appearing atomically (by rename) in the guest.</summary>
    Task WriteFileAsync(string relative, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken);

    /// <summary>Creates a symlink, or replaces one atomically (by rename).</summary>
    Task WriteSymlinkAsync(string relative, string target, CancellationToken cancellationToken);

    /// <summary>Removes a file, symlink or directory tree (never followed).</summary>
    Task RemoveAsync(string relative, CancellationToken cancellationToken);

    /// <summary>The pod's directory named <paramref name="name"/>, made once: a plain directory, or a tmpfs of <paramref name="tmpfsBytes"/>.</summary>
    Task<string> PrepareVolumeAsync(string name, long? tmpfsBytes, CancellationToken cancellationToken);
}
