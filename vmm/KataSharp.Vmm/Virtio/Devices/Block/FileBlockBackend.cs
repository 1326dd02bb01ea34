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

    /// <summary>
    /// Opens <paramref name="path"/> (O_CLOEXEC always); throws <see cref="BlockDeviceException"/> naming the file and the fix.
    /// The size comes from lseek(SEEK_END) on the open descriptor, which is a regular file's length and a block device's
    /// capacity alike (fstat's st_size is 0 for a device node, so it is never used).
    /// </summary>
    public static FileBlockBackend Open(string path, bool readOnly) => FromDescriptor(OpenMedium(path, readOnly), path, readOnly);

    /// <summary>
    /// Opens the medium at <paramref name="path"/> as <see cref="OpenFlagsFor"/> says; throws <see cref="BlockDeviceException"/>
    /// naming the file and the fix. A confined VMM cannot see host paths: the shim opens the medium with this and passes
    /// the descriptor (<see cref="FromDescriptor"/>).
    /// </summary>
    public static FileDescriptor OpenMedium(string path, bool readOnly)
    {
        bool blockDevice = FileNode.TryOf(path)?.IsBlockDevice ?? false;
        try
        {
            return FileDescriptor.Open(path, (int)OpenFlagsFor(readOnly, blockDevice));
        }
        catch (LinuxException e)
        {
            string fix = e.Errno switch
            {
                Errno.ENOENT => "check the path",
                Errno.EBUSY when blockDevice => "the block device is mounted or in use elsewhere (on the host, or read-write in another pod): unmount it, or attach it read-only",
                Errno.EACCES or Errno.EPERM or Errno.EROFS => readOnly ? "check its permissions" : "check its permissions, or attach it read-only",
                _ => "check the file",
            };
            throw new BlockDeviceException($"cannot open {(blockDevice ? "block device" : "disk image")} '{path}' {(readOnly ? "read-only" : "read-write")}: {e.Message}; {fix}", e);
        }
    }

    /// <summary>A backend on an open medium (owned from here: closed on failure too). The size comes from lseek(SEEK_END) on
    /// the descriptor, which is a regular file's length and a block device's capacity alike (fstat's st_size is 0 for a
    /// device node, so it is never used). <paramref name="label"/> names the medium in messages.</summary>
    public static FileBlockBackend FromDescriptor(FileDescriptor fd, string label, bool readOnly)
    {
        try
        {
            return new FileBlockBackend(fd, label, readOnly, fd.GetSize());
        }
        catch (LinuxException e)
        {
            fd.Dispose();
            throw new BlockDeviceException($"cannot size disk image '{label}': {e.Message}; use a regular file or a block device", e);
        }
    }

    /// <summary>
    /// How a medium is opened. A block device opened read-write is also opened exclusively (O_EXCL): the guest's page
    /// cache is not the host's, so a filesystem mounted on the host, or the same device written from a second VM, would
    /// be corrupted by the two writers; the kernel refuses with EBUSY instead, and holds the claim until the medium is
    /// ejected (the host then cannot mount it meanwhile). A read-only medium is shared (no O_EXCL): several pods may read
    /// one device, as with runc. Regular files never get O_EXCL (it means nothing for them without O_CREAT).
    /// </summary>
    public static OpenFlags OpenFlagsFor(bool readOnly, bool blockDevice) =>
        readOnly ? OpenFlags.ReadOnly : blockDevice ? OpenFlags.ReadWrite | OpenFlags.Exclusive : OpenFlags.ReadWrite;

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; false on a short read.</summary>
    public bool ReadAt(Span<byte> destination, long offset) => _fd.ReadAt(destination, offset) == destination.Length;

    public void WriteAt(ReadOnlySpan<byte> source, long offset) => _fd.WriteAllAt(source, offset);

    public void Flush() => _fd.SyncData();

    public void Dispose() => _fd.Dispose();
}
