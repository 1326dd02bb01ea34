using System.Runtime.InteropServices;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Files;

/// <summary>An owned Linux file descriptor, closed exactly once.</summary>
public sealed unsafe class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd, bool ownsHandle = true) : base(new IntPtr(-1), ownsHandle)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw number, for calls that take an int fd. Valid while this object is alive.</summary>
    public int Value
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (int)handle.ToInt64();
        }
    }

    public static FileDescriptor Open(string path, int flags, int mode = 0)
    {
        byte[] cpath = Libc.NullTerminated(path);
        fixed (byte* p = cpath)
        {
            int fd = open(p, flags | O_CLOEXEC, (uint)mode);
            if (fd < 0)
            {
                throw new LinuxException($"open({path})", Libc.LastErrno);
            }
            return new FileDescriptor(fd);
        }
    }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; 0 means end of file.</summary>
    public int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                long rc = read(Value, p, (nuint)buffer.Length);
                if (rc >= 0 || !Libc.IsInterrupted("read"))
                {
                    return (int)rc;
                }
            }
        }
    }

    /// <summary>Non-blocking read: returns -1 instead of throwing when no data is ready (EAGAIN).</summary>
    public int TryRead(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int transferred;
            while (Libc.RetryTransfer(read(Value, p, (nuint)buffer.Length), "read", out transferred))
            {
            }
            return transferred;
        }
    }

    /// <summary>Non-blocking write: the byte count, or -1 instead of throwing when the descriptor is full (EAGAIN).</summary>
    public int TryWrite(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int transferred;
            while (Libc.RetryTransfer(write(Value, p, (nuint)buffer.Length), "write", out transferred))
            {
            }
            return transferred;
        }
    }

    /// <summary>Writes the whole buffer, looping over short writes.</summary>
    public void WriteAll(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            long done = 0;
            while (done < buffer.Length)
            {
                long rc = write(Value, p + done, (nuint)(buffer.Length - done));
                if (rc >= 0)
                {
                    done += rc;
                }
                else
                {
                    Libc.IsInterrupted("write");
                }
            }
        }
    }

    /// <summary>Positional read of up to buffer.Length bytes; fewer only at end of file.</summary>
    public int ReadAt(Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                long rc = pread(Value, p + done, (nuint)(buffer.Length - done), offset + done);
                if (rc == 0)
                {
                    break;
                }
                if (rc > 0)
                {
                    done += (int)rc;
                }
                else
                {
                    Libc.IsInterrupted("pread");
                }
            }
            return done;
        }
    }

    /// <summary>Positional write of the whole buffer.</summary>
    public void WriteAllAt(ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                long rc = pwrite(Value, p + done, (nuint)(buffer.Length - done), offset + done);
                if (rc >= 0)
                {
                    done += (int)rc;
                }
                else
                {
                    Libc.IsInterrupted("pwrite");
                }
            }
        }
    }

    /// <summary>fdatasync(2): data (and the metadata needed to read it back) reaches stable storage.</summary>
    public void SyncData()
    {
        while (fdatasync(Value) < 0)
        {
            Libc.IsInterrupted("fdatasync");
        }
    }

    /// <summary>Size in bytes of a regular file or block device (seek to end; the file offset moves there).</summary>
    public long GetSize() => Libc.Check(lseek(Value, 0, SEEK_END), "lseek(SEEK_END)");

    /// <summary>A close-on-exec duplicate numbered at least <paramref name="minimum"/> (fcntl F_DUPFD_CLOEXEC).</summary>
    public FileDescriptor DuplicateAbove(int minimum) =>
        new(Libc.Check(fcntl(Value, F_DUPFD_CLOEXEC, minimum), $"fcntl(F_DUPFD_CLOEXEC, {minimum})"));

    public void SetNonBlocking()
    {
        int flags = Libc.Check(fcntl(Value, F_GETFL, 0), "fcntl(F_GETFL)");
        Libc.Check(fcntl(Value, F_SETFL, flags | O_NONBLOCK), "fcntl(F_SETFL)");
    }

    protected override bool ReleaseHandle() => close((int)handle.ToInt64()) == 0;
}
