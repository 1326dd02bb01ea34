namespace KataSharp.Runtime.Volumes;

/// <summary>
/// A snapshot of a host volume directory: every entry below it by relative path ('/'-separated), read with lstat.
/// A symlink is recorded with its target as text and never followed, so nothing outside the directory is read
/// (kubelet's <c>..data → ..2024_…</c> and <c>key → ..data/key</c> stay links); a FIFO or device fails when its content is read.
/// Reading stops as soon as the tree is over its <see cref="VolumeLimits"/>.
/// </summary>
public sealed class VolumeTree
{
    private VolumeTree(SortedDictionary<string, VolumeEntry> entries, long bytes)
    {
        Entries = entries;
        Bytes = bytes;
    }

    public static VolumeTree Empty { get; } = new(new SortedDictionary<string, VolumeEntry>(StringComparer.Ordinal), 0);

    /// <summary>Relative path → entry, in ordinal order (a directory before what it holds).</summary>
    public IReadOnlyDictionary<string, VolumeEntry> Entries { get; }

    /// <summary>Sum of the files' sizes.</summary>
    public long Bytes { get; }

    public static VolumeTree Read(string root, VolumeLimits limits)
    {
        var entries = new SortedDictionary<string, VolumeEntry>(StringComparer.Ordinal);
        long bytes = 0;
        var pending = new Stack<(string Path, string Relative)>();
        pending.Push((root, ""));
        while (pending.Count > 0)
        {
            var (directory, relative) = pending.Pop();
            foreach (FileSystemInfo info in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                string path = relative.Length == 0 ? info.Name : $"{relative}/{info.Name}";
                VolumeEntry? entry = Describe(info);
                if (entry is null)
                {
                    continue;
                }
                entries[path] = entry;
                bytes += entry.Size;
                if (entries.Count > limits.MaxEntries)
                {
                    throw new VolumeLimitException($"more than {limits.MaxEntries} entries ([runtime] {VolumeLimits.MaxEntriesKey} in {limits.ConfigPath})");
                }
                if (bytes > limits.MaxBytes)
                {
                    throw new VolumeLimitException($"more than {limits.MaxBytes >> 20} MiB of files ([runtime] {VolumeLimits.MaxMibKey} in {limits.ConfigPath})");
                }
                if (entry.Kind == VolumeEntryKind.Directory)
                {
                    pending.Push((info.FullName, path));
                }
            }
        }
        return new VolumeTree(entries, bytes);
    }

    private static VolumeEntry? Describe(FileSystemInfo info)
    {
        // LinkTarget comes from lstat + readlink: a link is reported as a link whatever it points at.
        if (info.LinkTarget is { } target)
        {
            return new VolumeEntry(VolumeEntryKind.Symlink, 0, 0, default, target);
        }
        if (info is DirectoryInfo)
        {
            return new VolumeEntry(VolumeEntryKind.Directory, info.UnixFileMode, 0, default, null);
        }
        // .NET shows FIFOs and devices as files too: their content read (SmallFile, regular files only) refuses them.
        return info is FileInfo file ? new VolumeEntry(VolumeEntryKind.File, info.UnixFileMode, file.Length, file.LastWriteTimeUtc, null) : null;
    }
}
