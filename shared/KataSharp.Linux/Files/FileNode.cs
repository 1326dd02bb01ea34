using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Files;

/// <summary>
/// What a path is (stat(2), following symlinks as a bind mount does) and, for a device node, which device
/// (st_rdev split as glibc's major()/minor() do). A block device's st_size is 0: its size is the device's,
/// which an open descriptor tells (lseek SEEK_END, <see cref="FileDescriptor.GetSize"/>).
/// </summary>
public readonly record struct FileNode(FileKind Kind, uint DeviceMajor, uint DeviceMinor)
{
    public bool IsBlockDevice => Kind == FileKind.BlockDevice;

    /// <summary>stat(2) of <paramref name="path"/>; a <see cref="LinuxException"/> with the errno (ENOENT for a missing path).</summary>
    public static unsafe FileNode Of(string path)
    {
        byte[] cpath = Libc.NullTerminated(path);
        StatCalls.Stat st;
        fixed (byte* p = cpath)
        {
            Libc.Check(StatCalls.stat(p, &st), $"stat({path})");
        }
        return From(st.st_mode, st.st_rdev);
    }

    /// <summary>stat(2) of <paramref name="path"/>, or null when it cannot be stat-ed (missing, no permission).</summary>
    public static FileNode? TryOf(string path)
    {
        try
        {
            return Of(path);
        }
        catch (LinuxException)
        {
            return null;
        }
    }

    /// <summary>From st_mode and st_rdev (the encoding of glibc's gnu_dev_major/gnu_dev_minor).</summary>
    public static FileNode From(uint mode, ulong rdev)
    {
        FileKind kind = (mode & StatCalls.S_IFMT) switch
        {
            StatCalls.S_IFREG => FileKind.Regular,
            StatCalls.S_IFDIR => FileKind.Directory,
            StatCalls.S_IFLNK => FileKind.Symlink,
            StatCalls.S_IFBLK => FileKind.BlockDevice,
            StatCalls.S_IFCHR => FileKind.CharacterDevice,
            StatCalls.S_IFIFO => FileKind.Fifo,
            _ => FileKind.Socket,
        };
        bool device = kind is FileKind.BlockDevice or FileKind.CharacterDevice;
        uint major = device ? (uint)(((rdev >> 8) & 0xfff) | ((rdev >> 32) & 0xfffff000)) : 0;
        uint minor = device ? (uint)((rdev & 0xff) | ((rdev >> 12) & 0xffffff00)) : 0;
        return new FileNode(kind, major, minor);
    }
}
