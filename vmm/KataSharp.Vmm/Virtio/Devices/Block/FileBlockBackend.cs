using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>
/// A disk image (regular file or block device) behind a virtio-blk slot. Opened read-only or
/// read-write once; the size is fixed at open (capacity is re-announced only on a media change).
/// </summary>
public sealed class FileBlockBackend : IDisposable
{
    private readonly FileDescriptor _fd;

    private FileBlockBackend(FileDescriptor fd, string path, bool readOnly, long size)
    {
        _fd = fd;
        Path = path;
        IsReadOnly = readOnly;
        SizeBytes = size;
    }

    public string Path { get; }

    public bool IsReadOnly { get; }

    public long SizeBytes { get; }

    /// <summary>Whole 512-byte sectors (a trailing partial sector is not addressable).</summary>
    public ulong CapacitySectors => (ulong)SizeBytes / BlockConfig.SectorSize;

    /// <summary>Opens <paramref name="path"/>; throws <see cref="BlockDeviceException"/> naming the file and the fix.</summary>
    public static FileBlockBackend Open(string path, bool readOnly)
    {
        FileDescriptor fd;
        try
        {
            fd = FileDescriptor.Open(path, (int)(readOnly ? OpenFlags.ReadOnly : OpenFlags.ReadWrite));
        }
        catch (LinuxException e)
        {
            string fix = e.Errno switch
            {
                Errno.ENOENT => "check the path",
                Errno.EACCES or Errno.EPERM or Errno.EROFS => readOnly ? "check its permissions" : "check its permissions, or attach it read-only",
                _ => "check the file",
            };
            throw new BlockDeviceException($"cannot open disk image '{path}' {(readOnly ? "read-only" : "read-write")}: {e.Message}; {fix}", e);
        }
        try
        {
            return new FileBlockBackend(fd, path, readOnly, fd.GetSize());
        }
        catch (LinuxException e)
        {
            fd.Dispose();
            throw new BlockDeviceException($"cannot size disk image '{path}': {e.Message}; use a regular file or a block device", e);
        }
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; false on a short read.</summary>
    public bool ReadAt(Span<byte> destination, long offset) => _fd.ReadAt(destination, offset) == destination.Length;

    public void WriteAt(ReadOnlySpan<byte> source, long offset) => _fd.WriteAllAt(source, offset);

    public void Flush() => _fd.SyncData();

    public void Dispose() => _fd.Dispose();
}
