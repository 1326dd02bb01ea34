using System.Runtime.InteropServices;
using System.Text;

namespace KataSharp.Linux.Interop;

/// <summary>
/// The one binding mechanism: our own <c>[LibraryImport]</c>s, one *Calls file per C header in this folder, with blittable
/// structs each checked against the header by a layout test (Tmds.LibC, the design card's binding, was dropped for this:
/// issue 17). This class holds the errno plumbing every typed wrapper shares, so a failure always names its call and errno.
/// </summary>
internal static unsafe class Libc
{
    /// <summary>errno of the last call on this thread (the imports that set errno use SetLastError).</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    public static int Check(int rc, string call)
    {
        if (rc < 0)
        {
            throw new LinuxException(call, LastErrno);
        }
        return rc;
    }

    public static long Check(long rc, string call)
    {
        if (rc < 0)
        {
            throw new LinuxException(call, LastErrno);
        }
        return rc;
    }

    /// <summary>
    /// For retry loops after a call returned -1: true when errno is EINTR (retry),
    /// otherwise throws the failure. The one place that decides a call is retried on EINTR.
    /// </summary>
    public static bool IsInterrupted(string call)
    {
        int errno = LastErrno;
        if (errno == (int)Errno.EINTR)
        {
            return true;
        }
        throw new LinuxException(call, errno);
    }

    /// <summary>
    /// Interprets a non-blocking read/write/send/recv result: true means EINTR (call again);
    /// otherwise <paramref name="transferred"/> is the byte count, or -1 when the call would block
    /// (EAGAIN). Any other failure throws naming the call.
    /// </summary>
    public static bool RetryTransfer(long rc, string call, out int transferred)
    {
        if (rc >= 0)
        {
            transferred = (int)rc;
            return false;
        }
        if (LastErrno == (int)Errno.EAGAIN)
        {
            transferred = -1;
            return false;
        }
        transferred = 0;
        return IsInterrupted(call);
    }

    /// <summary>A NUL-terminated UTF-8 copy of a path for calls that take <c>const char*</c>.</summary>
    public static byte[] NullTerminated(string value)
    {
        if (value.Contains('\0'))
        {
            throw new ArgumentException($"'{value}' contains a NUL character", nameof(value));
        }
        return Encoding.UTF8.GetBytes(value + "\0");
    }
}
