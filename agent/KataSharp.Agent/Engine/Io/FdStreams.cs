using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.Agent.Engine.Io;

/// <summary>Async read/write on non-blocking descriptors through the <see cref="FdPoller"/>.</summary>
public static class FdStreams
{
    /// <summary>Reads what is available (waiting until something is); 0 = end of stream. A pty master whose
    /// slave side is fully closed reports EIO, which is its end of stream too.</summary>
    public static async Task<int> ReadAsync(FdPoller poller, FileDescriptor fd, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int n;
            try
            {
                n = fd.TryRead(buffer.Span);
            }
            catch (LinuxException e) when (e.Errno == Errno.EIO)
            {
                return 0;
            }
            if (n >= 0)
            {
                return n;
            }
            await poller.WaitReadableAsync(fd, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes all of <paramref name="data"/>; false when the reader is gone (EPIPE / EIO).</summary>
    public static async Task<bool> WriteAllAsync(FdPoller poller, FileDescriptor fd, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (!data.IsEmpty)
        {
            int n;
            try
            {
                n = fd.TryWrite(data.Span);
            }
            catch (LinuxException e) when (e.Errno is Errno.EPIPE or Errno.EIO)
            {
                return false;
            }
            if (n < 0)
            {
                await poller.WaitWritableAsync(fd, cancellationToken).ConfigureAwait(false);
                continue;
            }
            data = data[n..];
        }
        return true;
    }
}
