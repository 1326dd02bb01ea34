using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.StatCalls;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Files;

/// <summary>
/// Reads a small regular file that someone else controls (an image's /etc/passwd, the source of a
/// bind mount a spec names) so that it can neither block nor exhaust memory: the open never waits
/// (O_NONBLOCK: a FIFO without a writer blocks open(2)), only a regular file is read (a FIFO or a
/// device such as /dev/zero may never end), and never more than the limit, whatever its size claims.
/// Refusals are <see cref="LinuxException"/>s: EINVAL for a file that is not regular, EFBIG for one
/// over the limit, the open's own errno otherwise.
/// </summary>
public static unsafe class SmallFile
{
    /// <summary>Reads <paramref name="path"/>. Unless <paramref name="followSymlink"/>, its last component must not be
    /// a symlink (O_NOFOLLOW: ELOOP): whoever can write the directory cannot swap the file for a link to one of ours.
    /// Either way only the regular file at the end is read.</summary>
    public static byte[] Read(string path, int maxBytes, bool followSymlink = false)
    {
        byte[] cpath = Libc.NullTerminated(path);
        int fd;
        fixed (byte* p = cpath)
        {
            do
            {
                fd = open(p, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (followSymlink ? 0 : O_NOFOLLOW), 0);
            }
            while (fd < 0 && Libc.IsInterrupted($"open({path})"));
        }
        using var descriptor = new FileDescriptor(fd);
        return ReadOpened(descriptor, path, maxBytes);
    }

    /// <summary>Reads <paramref name="relative"/> resolved inside <paramref name="root"/> as if it were "/"
    /// (openat2 RESOLVE_IN_ROOT): no symlink or ".." in the tree can lead out of it.</summary>
    public static byte[] ReadInRoot(string root, string relative, int maxBytes) =>
        ReadResolved(root, relative, maxBytes, Openat2Calls.RESOLVE_IN_ROOT | Openat2Calls.RESOLVE_NO_MAGICLINKS);

    /// <summary>Reads <paramref name="relative"/> below <paramref name="root"/> without following any symlink on the way or at
    /// the end (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: ELOOP), nor a "..": only a regular file that is really in the tree.</summary>
    public static byte[] ReadBeneath(string root, string relative, int maxBytes) =>
        ReadResolved(root, relative, maxBytes, Openat2Calls.RESOLVE_BENEATH | Openat2Calls.RESOLVE_NO_SYMLINKS | Openat2Calls.RESOLVE_NO_MAGICLINKS);

    private static byte[] ReadResolved(string root, string relative, int maxBytes, ulong resolve)
    {
        using FileDescriptor rootFd = FileDescriptor.Open(root, O_PATH | O_DIRECTORY);
        byte[] cpath = Libc.NullTerminated(relative);
        var how = new Openat2Calls.open_how { flags = (ulong)(O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), resolve = resolve };
        int fd;
        string call = $"openat2({root}, {relative})";
        fixed (byte* p = cpath)
        {
            do
            {
                fd = (int)syscall(SyscallNumbers.SYS_openat2, rootFd.Value, (long)p, (long)&how, sizeof(Openat2Calls.open_how));
            }
            while (fd < 0 && Libc.IsInterrupted(call));
        }
        using var descriptor = new FileDescriptor(fd);
        return ReadOpened(descriptor, Path.Combine(root, relative), maxBytes);
    }

    private static byte[] ReadOpened(FileDescriptor fd, string path, int maxBytes)
    {
        Stat st;
        Libc.Check(fstat(fd.Value, &st), $"fstat({path})");
        if ((st.st_mode & S_IFMT) != S_IFREG)
        {
            throw new LinuxException($"read({path})", (int)Errno.EINVAL, $"not a regular file but {Kind(st.st_mode)}");
        }
        if (st.st_size > maxBytes)
        {
            throw new LinuxException($"read({path})", (int)Errno.EFBIG, $"{st.st_size} bytes, the limit is {maxBytes}");
        }
        // Bounded by the limit, not by st_size: the file may grow while it is read.
        var data = new MemoryStream((int)Math.Min(st.st_size, maxBytes));
        byte[] chunk = new byte[Math.Min(maxBytes + 1, 64 << 10)];
        int n;
        while ((n = fd.Read(chunk)) > 0)
        {
            if (data.Length + n > maxBytes)
            {
                throw new LinuxException($"read({path})", (int)Errno.EFBIG, $"more than the limit of {maxBytes} bytes");
            }
            data.Write(chunk, 0, n);
        }
        return data.ToArray();
    }

    private static string Kind(uint mode) => (mode & S_IFMT) switch
    {
        S_IFIFO => "a FIFO",
        S_IFCHR => "a character device",
        S_IFDIR => "a directory",
        S_IFBLK => "a block device",
        S_IFSOCK => "a socket",
        _ => "a special file",
    };
}
