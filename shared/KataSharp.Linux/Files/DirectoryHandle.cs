using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.StatCalls;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Files;

/// <summary>
/// An open directory whose every operation names one entry of it (a single path component, never "..",
/// "." or a '/'), with the *at calls and without following a symlink: O_NOFOLLOW on opens, unlinkat and
/// renameat never resolve the last component. A walk from a trusted root through <see cref="OpenDirectory"/>
/// therefore stays below it whatever someone else with write access to the tree did to it meanwhile
/// (a directory swapped for a symlink to "/" makes the open fail with ELOOP/ENOTDIR instead of leading out).
/// </summary>
public sealed unsafe class DirectoryHandle : IDisposable
{
    private readonly FileDescriptor _fd;

    private DirectoryHandle(FileDescriptor fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>For messages only: where this directory was when it was opened.</summary>
    public string Path { get; }

    /// <summary>Opens a trusted directory by absolute path (its own symlinks, if any, are followed: the caller chose it).</summary>
    public static DirectoryHandle Open(string path) => new(FileDescriptor.Open(path, O_RDONLY | O_DIRECTORY), path);

    /// <summary>Opens the entry <paramref name="name"/>, which must be a directory and not a symlink (ELOOP or ENOTDIR otherwise).</summary>
    public DirectoryHandle OpenDirectory(string name) =>
        new(OpenAt(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0), System.IO.Path.Combine(Path, name));

    /// <summary>Opens the directory <paramref name="name"/>, creating it with <paramref name="mode"/> when missing.</summary>
    public DirectoryHandle OpenOrCreateDirectory(string name, UnixFileMode mode)
    {
        byte[] cname = Component(name);
        fixed (byte* p = cname)
        {
            if (mkdirat(_fd.Value, p, (uint)mode) < 0 && Libc.LastErrno != (int)Errno.EEXIST)
            {
                throw new LinuxException($"mkdirat({Path}, {name})", Libc.LastErrno);
            }
        }
        return OpenDirectory(name);
    }

    /// <summary>What <paramref name="name"/> is, without following it; null when it does not exist.</summary>
    public DirectoryEntryKind? KindOf(string name, out long size)
    {
        size = 0;
        FileDescriptor fd;
        try
        {
            fd = OpenAt(name, O_PATH | O_NOFOLLOW, 0);
        }
        catch (LinuxException e) when (e.Errno == Errno.ENOENT)
        {
            return null;
        }
        using (fd)
        {
            Stat st;
            Libc.Check(fstat(fd.Value, &st), $"fstat({Path}/{name})");
            size = st.st_size;
            return (st.st_mode & S_IFMT) switch
            {
                S_IFDIR => DirectoryEntryKind.Directory,
                S_IFREG => DirectoryEntryKind.File,
                S_IFLNK => DirectoryEntryKind.Symlink,
                _ => DirectoryEntryKind.Other,
            };
        }
    }

    /// <summary>Creates (or truncates) the regular file <paramref name="name"/> for writing; refuses a symlink there (ELOOP).</summary>
    public FileDescriptor CreateFile(string name, UnixFileMode mode) => OpenAt(name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK, (int)mode);

    /// <summary>Opens the existing regular file <paramref name="name"/> to append to it; refuses a symlink there (ELOOP).</summary>
    public FileDescriptor OpenForAppend(string name) => OpenAt(name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK, 0);

    /// <summary>Sets the permission bits and owner of an open file (the fd, so no path is resolved again).</summary>
    public static void SetModeAndOwner(FileDescriptor file, UnixFileMode mode, uint uid, uint gid)
    {
        Libc.Check(fchmod(file.Value, (uint)mode), "fchmod");
        if (uid != 0 || gid != 0)
        {
            Libc.Check(fchown(file.Value, uid, gid), $"fchown({uid}, {gid})");
        }
    }

    /// <summary>Sets this directory's own permission bits and owner.</summary>
    public void SetModeAndOwner(UnixFileMode mode, uint uid, uint gid) => SetModeAndOwner(_fd, mode, uid, gid);

    public void CreateSymlink(string name, string target)
    {
        byte[] cname = Component(name);
        byte[] ctarget = Libc.NullTerminated(target);
        fixed (byte* n = cname, t = ctarget)
        {
            Libc.Check(symlinkat(t, _fd.Value, n), $"symlinkat({target}, {Path}, {name})");
        }
    }

    /// <summary>Renames an entry of this directory over another (atomic replace; neither is followed).</summary>
    public void Rename(string from, string to)
    {
        byte[] cfrom = Component(from), cto = Component(to);
        fixed (byte* f = cfrom, t = cto)
        {
            Libc.Check(RenameCalls.renameat(_fd.Value, f, _fd.Value, t), $"renameat({Path}, {from} → {to})");
        }
    }

    /// <summary>Removes <paramref name="name"/>: a file or symlink (not followed), or a directory with everything
    /// below it. Returns false when it did not exist.</summary>
    public bool Remove(string name)
    {
        DirectoryEntryKind? kind = KindOf(name, out _);
        if (kind is null)
        {
            return false;
        }
        if (kind == DirectoryEntryKind.Directory)
        {
            using DirectoryHandle child = OpenDirectory(name);
            foreach (string entry in child.List())
            {
                child.Remove(entry);
            }
        }
        byte[] cname = Component(name);
        fixed (byte* p = cname)
        {
            if (unlinkat(_fd.Value, p, kind == DirectoryEntryKind.Directory ? AT_REMOVEDIR : 0) < 0)
            {
                int errno = Libc.LastErrno;
                if (errno == (int)Errno.ENOENT)
                {
                    return false;
                }
                throw new LinuxException($"unlinkat({Path}, {name})", errno);
            }
        }
        return true;
    }

    /// <summary>The names in this directory (through /proc/self/fd: the directory this handle holds, wherever it is now).</summary>
    public IReadOnlyList<string> List() =>
        Directory.EnumerateFileSystemEntries($"/proc/self/fd/{_fd.Value}").Select(e => System.IO.Path.GetFileName(e)).ToList();

    public void Dispose() => _fd.Dispose();

    private FileDescriptor OpenAt(string name, int flags, int mode)
    {
        byte[] cname = Component(name);
        fixed (byte* p = cname)
        {
            int fd;
            do
            {
                fd = openat(_fd.Value, p, flags | O_CLOEXEC, (uint)mode);
            }
            while (fd < 0 && Libc.IsInterrupted($"openat({Path}, {name})"));
            return new FileDescriptor(fd);
        }
    }

    private static byte[] Component(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/'))
        {
            throw new ArgumentException($"'{name}' is not a single path component", nameof(name));
        }
        return Libc.NullTerminated(name);
    }
}
