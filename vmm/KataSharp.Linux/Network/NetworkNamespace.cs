using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Network;

/// <summary>
/// A network namespace held open by a descriptor. Work runs inside it on a thread of its own
/// (<see cref="Run{T}"/>): a network namespace belongs to a thread, and a thread that changed namespace
/// must never go back to a pool, so that thread ends with the work. What the work creates there (a tap,
/// a socket) stays in the namespace whichever thread uses it later.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(FileDescriptor descriptor) => Descriptor = descriptor;

    /// <summary>A descriptor of the namespace (what setns takes); the namespace lives at least as long.</summary>
    public FileDescriptor Descriptor { get; }

    /// <summary>A path other processes can enter it by while this object lives (e.g. <c>nsenter --net=PATH</c>).</summary>
    public string Path => $"/proc/{Environment.ProcessId}/fd/{Descriptor.Value}";

    /// <summary>Opens the namespace at <paramref name="path"/> (/var/run/netns/NAME, /proc/PID/ns/net, a CNI netns path).</summary>
    public static NetworkNamespace Open(string path) => new(FileDescriptor.Open(path, (int)OpenFlags.ReadOnly));

    /// <summary>A new, empty network namespace (only a down loopback) that no other process can see; it
    /// disappears with everything in it when this object and whatever else references it are gone.
    /// Needs CAP_SYS_ADMIN.</summary>
    public static NetworkNamespace CreateAnonymous() => new(OnOwnThread(() =>
    {
        Libc.Check(unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)");
        return FileDescriptor.Open("/proc/thread-self/ns/net", (int)OpenFlags.ReadOnly);
    }));

    /// <summary>Runs <paramref name="work"/> inside this namespace on a new thread and waits for it; its
    /// exception (or the setns failure) is rethrown here.</summary>
    public T Run<T>(Func<T> work)
    {
        int fd = Descriptor.Value;
        return OnOwnThread(() =>
        {
            Libc.Check(setns(fd, CLONE_NEWNET), "setns(CLONE_NEWNET)");
            return work();
        });
    }

    public void Dispose() => Descriptor.Dispose();

    private static T OnOwnThread<T>(Func<T> work)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { Name = "netns", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        return result!;
    }
}
