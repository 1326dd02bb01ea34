using KataSharp.Linux.Events;
using KataSharp.Linux.Files;

namespace KataSharp.Runtime.Io;

/// <summary>
/// Reads a client's stdin FIFO without ever blocking in open(2) and with a way to stop.
/// The FIFO is opened O_RDONLY|O_NONBLOCK and reads wait in epoll for data or hang-up. Linux
/// reports hang-up on a FIFO only after a writer has come and gone, so a reader that opened
/// before containerd's writer simply waits for it instead of seeing a false end of file.
/// </summary>
public sealed class FifoReader : IDisposable
{
    private const ulong DataToken = 1;
    private const ulong CancelToken = 2;

    private readonly FileDescriptor _fifo;
    private readonly Epoll _epoll;
    private readonly EventFd _cancel;
    private int _cancelled;

    private FifoReader(FileDescriptor fifo, Epoll epoll, EventFd cancel)
    {
        _fifo = fifo;
        _epoll = epoll;
        _cancel = cancel;
    }

    public static FifoReader Open(string path)
    {
        var fifo = FileDescriptor.Open(path, (int)(OpenFlags.ReadOnly | OpenFlags.NonBlocking));
        var epoll = Epoll.Create();
        var cancel = EventFd.Create();
        epoll.Add(fifo.Value, EpollEvents.In | EpollEvents.Hup, DataToken);
        epoll.Add(cancel.Descriptor.Value, EpollEvents.In, CancelToken);
        return new FifoReader(fifo, epoll, cancel);
    }

    /// <summary>
    /// Blocks the calling thread until data arrives; returns 0 at end of file (the writer closed)
    /// or after <see cref="Cancel"/>.
    /// </summary>
    public int Read(Span<byte> buffer)
    {
        Span<EpollReady> ready = stackalloc EpollReady[2];
        while (Volatile.Read(ref _cancelled) == 0)
        {
            // Wait first: read(2) on a FIFO that has no writer *yet* returns 0, which is not end of file.
            _epoll.Wait(ready, -1);
            if (Volatile.Read(ref _cancelled) != 0)
            {
                break;
            }
            int n = _fifo.TryRead(buffer);
            if (n >= 0)
            {
                return n;
            }
        }
        return 0;
    }

    /// <summary>Makes a blocked or future <see cref="Read"/> return 0. Safe from any thread.</summary>
    public void Cancel()
    {
        Volatile.Write(ref _cancelled, 1);
        _cancel.Signal();
    }

    public void Dispose()
    {
        _epoll.Dispose();
        _cancel.Dispose();
        _fifo.Dispose();
    }
}
