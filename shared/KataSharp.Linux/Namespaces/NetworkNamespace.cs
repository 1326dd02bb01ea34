using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using KataSharp.Linux.Mounts;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.SchedCalls;

namespace KataSharp.Linux.Namespaces;

/// <summary>
/// An open network namespace file (a CNI/CRI path like /var/run/netns/cni-…, or /proc/PID/ns/net).
/// The open descriptor keeps the namespace alive and names it for setns(2). setns(CLONE_NEWNET) moves only
/// the calling thread, so <see cref="Enter"/> is for a thread that is not shared with anyone: use
/// <see cref="NetworkNamespaceThread"/>, never a thread-pool thread.
/// </summary>
public sealed unsafe class NetworkNamespace : IDisposable
{
    private NetworkNamespace(FileDescriptor descriptor, string path)
    {
        Descriptor = descriptor;
        Path = path;
    }

    public FileDescriptor Descriptor { get; }

    public string Path { get; }

    /// <summary>Opens and checks a network namespace file. A missing path, or a file that is not a network
    /// namespace (a plain file, a directory, another namespace type), is a <see cref="LinuxException"/> naming the path.</summary>
    public static NetworkNamespace Open(string path)
    {
        var descriptor = FileDescriptor.Open(path, O_RDONLY);
        try
        {
            int type = Ioctl.TryInvoke(descriptor, NamespaceCalls.NS_GET_NSTYPE, 0);
            if (type < 0)
            {
                throw new LinuxException($"ioctl(NS_GET_NSTYPE) on {path}", -type, "the path is not a namespace file (expected a network namespace such as /var/run/netns/NAME)");
            }
            if (type != NamespaceCalls.CLONE_NEWNET)
            {
                throw new LinuxException($"ioctl(NS_GET_NSTYPE) on {path}", (int)Errno.EINVAL, $"the path is a namespace of type 0x{type:x}, not a network namespace");
            }
            return new NetworkNamespace(descriptor, path);
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A new, empty network namespace (only a down loopback) that no other process can see; it disappears
    /// with everything in it when this object and whatever else references it are gone. Needs CAP_SYS_ADMIN.
    /// </summary>
    public static NetworkNamespace CreateAnonymous()
    {
        FileDescriptor descriptor = NetworkNamespaceThread.RunOnFreshThread(() =>
        {
            Libc.Check(unshare(NamespaceCalls.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
            return FileDescriptor.Open("/proc/thread-self/ns/net", O_RDONLY);
        });
        return new NetworkNamespace(descriptor, $"/proc/{Environment.ProcessId}/fd/{descriptor.Value}");
    }

    /// <summary>
    /// Runs <paramref name="work"/> inside this namespace on a new thread that ends afterwards, and returns its
    /// result (or rethrows). For one-off work; <see cref="NetworkNamespaceThread"/> keeps a thread for many.
    /// </summary>
    public T Run<T>(Func<T> work) => NetworkNamespaceThread.RunOnFreshThread(() =>
    {
        Enter();
        return work();
    });

    /// <summary>The calling thread's network namespace.</summary>
    public static NetworkNamespace OpenCurrent() => Open("/proc/thread-self/ns/net");

    /// <summary>Moves the calling thread (only it) into this namespace.</summary>
    public void Enter() => Libc.Check(setns(Descriptor.Value, NamespaceCalls.CLONE_NEWNET), $"setns({Path}, CLONE_NEWNET)");

    /// <summary>Whether two open namespace files name the same namespace (same nsfs inode).</summary>
    public bool IsSameAs(NetworkNamespace other) => Identity() == other.Identity();

    private (ulong Device, ulong Inode) Identity()
    {
        StatCalls.Stat st;
        Libc.Check(StatCalls.fstat(Descriptor.Value, &st), $"fstat({Path})");
        return (st.st_dev, st.st_ino);
    }

    /// <summary>
    /// Creates a new, empty network namespace and pins it at <paramref name="path"/> with a bind mount (what
    /// `ip netns add` and CNI's netns helpers do). The path must not exist; its directory must.
    /// Remove it with <see cref="DeleteNamed"/>.
    /// </summary>
    public static void CreateNamed(string path)
    {
        // unshare(CLONE_NEWNET) moves the calling thread; do it on a thread that ends right after.
        NetworkNamespaceThread.RunOnFreshThread(() =>
        {
            Libc.Check(unshare(NamespaceCalls.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
            using (FileDescriptor.Open(path, O_RDONLY | O_CREAT | O_EXCL, 0b110_100_100))
            {
            }
            try
            {
                Mount.Attach($"/proc/self/task/{Threading.LinuxThread.CurrentId}/ns/net", path, null, MountFlags.Bind);
            }
            catch
            {
                File.Delete(path);
                throw;
            }
        });
    }

    /// <summary>Unpins a namespace made by <see cref="CreateNamed"/> (lazy unmount, then unlink). The namespace itself
    /// ends when nothing else holds it. False when the path did not exist.</summary>
    public static bool DeleteNamed(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        Mount.Detach(path);
        File.Delete(path);
        return true;
    }

    public void Dispose() => Descriptor.Dispose();
}
