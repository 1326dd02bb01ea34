using KataSharp.Linux.Files;
using static KataSharp.Linux.Interop.IoctlCalls;
using static KataSharp.Linux.Interop.TermbitsCalls;

namespace KataSharp.Linux.Terminals;

/// <summary>
/// A local terminal switched to raw mode (termios(3)'s: no echo, no line editing, no signal keys, no CR/NL translation,
/// 8-bit bytes one at a time) while a remote shell owns the screen: every key, Ctrl-C included, goes to the remote side
/// as a byte. <see cref="Dispose"/> puts the saved settings back, once, whichever exit path gets there first.
/// </summary>
public sealed unsafe class RawMode : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly Termios _saved;
    private int _restored;

    private RawMode(FileDescriptor fd, Termios saved)
    {
        _fd = fd;
        _saved = saved;
    }

    /// <summary>Raw mode on <paramref name="fd"/>, or null when it is not a terminal (a pipe, a file).</summary>
    public static RawMode? TryEnter(FileDescriptor fd)
    {
        Termios saved;
        int rc = Ioctl.TryInvoke(fd, TCGETS, (ulong)&saved);
        if (rc == -(int)Errno.ENOTTY)
        {
            return null;
        }
        if (rc < 0)
        {
            throw new LinuxException("ioctl(TCGETS)", -rc);
        }
        Termios raw = Raw(saved);
        Ioctl.Invoke(fd, TCSETSW, ref raw, "TCSETSW");
        return new RawMode(fd, saved);
    }

    /// <summary>The settings raw mode gives, from <paramref name="settings"/> (the rest of them kept).</summary>
    internal static Termios Raw(Termios settings)
    {
        settings.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        settings.c_oflag &= ~OPOST;
        settings.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        settings.c_cflag = (settings.c_cflag & ~(CSIZE | PARENB)) | CS8;
        // A read returns as soon as one byte is there.
        settings.c_cc[VMIN] = 1;
        settings.c_cc[VTIME] = 0;
        return settings;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _restored, 1) != 0)
        {
            return;
        }
        Termios saved = _saved;
        // Best effort: a terminal that went away (hung up) has nothing left to restore.
        Ioctl.TryInvoke(_fd, TCSETSW, (ulong)&saved);
    }
}
