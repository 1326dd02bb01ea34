using System.Runtime.InteropServices;
using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.InotifyCalls;

namespace KataSharp.Linux.Events;

/// <summary>
/// An inotify instance (non-blocking, close-on-exec): watches return a descriptor number, and
/// <see cref="ReadEvents"/> drains the queued events. cgroup v2 files (memory.events,
/// cgroup.events) raise IN_MODIFY when their counters change.
/// </summary>
public sealed unsafe class Inotify : IDisposable
{
    /// <summary>IN_MODIFY: the file was written (for cgroup files: a counter or state changed).</summary>
    public const uint Modify = IN_MODIFY;

    /// <summary>IN_IGNORED: the watch is gone (file removed, e.g. its cgroup was deleted).</summary>
    public const uint Ignored = IN_IGNORED;

    private Inotify(FileDescriptor fd) => Descriptor = fd;

    public FileDescriptor Descriptor { get; }

    public static Inotify Create() => new(new FileDescriptor(Libc.Check(inotify_init1(IN_NONBLOCK | IN_CLOEXEC), "inotify_init1")));

    public int AddWatch(string path, uint mask)
    {
        byte[] cpath = Libc.NullTerminated(path);
        fixed (byte* p = cpath)
        {
            return Libc.Check(inotify_add_watch(Descriptor.Value, p, mask), $"inotify_add_watch({path})");
        }
    }

    /// <summary>Removes a watch; a watch the kernel already dropped (EINVAL) is not an error.</summary>
    public void RemoveWatch(int watch)
    {
        if (inotify_rm_watch(Descriptor.Value, watch) < 0 && Libc.LastErrno != (int)Errno.EINVAL)
        {
            throw new LinuxException($"inotify_rm_watch({watch})", Libc.LastErrno);
        }
    }

    /// <summary>Reads every queued event; empty when none is pending.</summary>
    public List<InotifyEvent> ReadEvents()
    {
        var events = new List<InotifyEvent>();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int n = Descriptor.TryRead(buffer);
            if (n <= 0)
            {
                return events;
            }
            int headerSize = sizeof(inotify_event);
            for (int offset = 0; offset + headerSize <= n;)
            {
                inotify_event header = MemoryMarshal.Read<inotify_event>(buffer.AsSpan(offset));
                ReadOnlySpan<byte> name = buffer.AsSpan(offset + headerSize, (int)header.len);
                int end = name.IndexOf((byte)0);
                events.Add(new InotifyEvent(header.wd, header.mask, Encoding.UTF8.GetString(end < 0 ? name : name[..end])));
                offset += headerSize + (int)header.len;
            }
        }
    }

    public void Dispose() => Descriptor.Dispose();
}
