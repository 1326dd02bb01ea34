using KataSharp.Linux.Files;

namespace KataSharp.Runtime.Io;

/// <summary>
/// The shim's end of a client's stdout/stderr FIFO. Opened O_RDWR, as Kata does: the open never
/// blocks, and holding a read end means a client that goes away cannot turn our writes into
/// EPIPE. Closing it is what tells the client the output is complete.
/// </summary>
public sealed class FifoWriter : IDisposable
{
    private readonly FileDescriptor _fifo;

    private FifoWriter(FileDescriptor fifo) => _fifo = fifo;

    public static FifoWriter Open(string path) => new(FileDescriptor.Open(path, (int)OpenFlags.ReadWrite));

    /// <summary>Writes everything; blocks while the client is slow to read (the pipe is full).</summary>
    public void Write(ReadOnlySpan<byte> data) => _fifo.WriteAll(data);

    public void Dispose() => _fifo.Dispose();
}
