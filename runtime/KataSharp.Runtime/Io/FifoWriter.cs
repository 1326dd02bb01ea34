using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.Runtime.Io;

/// <summary>
/// The shim's end of a client's stdout/stderr FIFO. containerd's clients (ctr, CRI) open their
/// reader before Create, so at Start a non-blocking write-only open finds it; writes then block
/// while the client is slow (back-pressure) and fail with EPIPE once it is gone, after which
/// output is dropped instead of blocking the copy forever. If no reader is there yet, the FIFO is
/// opened read-write instead (Kata's way: the open never blocks and never fails).
/// Closing it is what tells the client the output is complete.
/// </summary>
public sealed class FifoWriter : IDisposable
{
    private readonly FileDescriptor _fifo;

    private FifoWriter(FileDescriptor fifo) => _fifo = fifo;

    /// <summary>True once the client's reader went away; later output is discarded.</summary>
    public bool IsClientGone { get; private set; }

    public static FifoWriter Open(string path)
    {
        FileDescriptor fifo;
        try
        {
            fifo = FileDescriptor.Open(path, (int)(OpenFlags.WriteOnly | OpenFlags.NonBlocking));
        }
        catch (LinuxException e) when (e.Errno == Errno.ENXIO)
        {
            fifo = FileDescriptor.Open(path, (int)(OpenFlags.ReadWrite | OpenFlags.NonBlocking));
        }
        BlockingMode.SetBlocking(fifo);
        return new FifoWriter(fifo);
    }

    /// <summary>Writes everything, blocking while the pipe is full; drops the data if the client is gone.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (IsClientGone)
        {
            return;
        }
        try
        {
            _fifo.WriteAll(data);
        }
        catch (LinuxException e) when (e.Errno == Errno.EPIPE)
        {
            IsClientGone = true;
        }
    }

    public void Dispose() => _fifo.Dispose();
}
