using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Mounts;

/// <summary>
/// pivot_root(2) into a directory, in a mount namespace of the caller's own (the caller unshares it first: in the
/// host's namespace this would move the host's root). The old root is detached afterwards, so nothing outside the new
/// root stays reachable by path; a descriptor opened before still reaches what it names, which is how a confined
/// process keeps exactly what it was handed.
/// </summary>
public static unsafe class RootPivot
{
    /// <summary>Makes <paramref name="newRoot"/> the root (and working directory) of every process in this mount namespace,
    /// read-only when <paramref name="readOnly"/>.</summary>
    public static void Into(string newRoot, bool readOnly)
    {
        // No mount event may travel back to the host's namespace (a shared root would propagate the detach below).
        Mount.Attach("none", "/", null, MountFlags.Recursive | MountFlags.Private);
        // pivot_root needs the new root to be a mount point: bind it onto itself.
        Mount.Attach(newRoot, newRoot, null, MountFlags.Bind | MountFlags.Recursive);
        using FileDescriptor oldRoot = FileDescriptor.Open("/", (int)(OpenFlags.ReadOnly | OpenFlags.Directory));
        using FileDescriptor root = FileDescriptor.Open(newRoot, (int)(OpenFlags.ReadOnly | OpenFlags.Directory));
        Libc.Check(fchdir(root.Value), $"fchdir({newRoot})");
        // pivot_root(".", "."): the old root ends up mounted on top of the new one, and is detached right away (runc's way,
        // which needs no directory for the old root inside the new one).
        byte[] dot = Libc.NullTerminated(".");
        fixed (byte* d = dot)
        {
            Libc.Check(syscall(SyscallNumbers.SYS_pivot_root, (long)d, (long)d, 0), $"pivot_root({newRoot})");
        }
        Libc.Check(fchdir(oldRoot.Value), "fchdir(old root)");
        Mount.Attach("none", ".", null, MountFlags.Recursive | MountFlags.Slave);
        Mount.Detach(".", detach: true);
        ChangeDirectory("/");
        if (readOnly)
        {
            Mount.Attach("none", "/", null, MountFlags.Remount | MountFlags.Bind | MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
        }
    }

    private static void ChangeDirectory(string path)
    {
        byte[] cpath = Libc.NullTerminated(path);
        fixed (byte* p = cpath)
        {
            Libc.Check(chdir(p), $"chdir({path})");
        }
    }
}
