using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.IoctlCalls;
using static KataSharp.Linux.Interop.TerminalCalls;

namespace KataSharp.Linux.Terminals;

/// <summary>
/// A pseudo-terminal pair: the master stays with us (read output, write input, resize), the slave
/// becomes a process's stdio and controlling terminal.
/// </summary>
public sealed unsafe class PseudoTerminal : IDisposable
{
    private PseudoTerminal(FileDescriptor master, FileDescriptor slave, string slaveName)
    {
        Master = master;
        Slave = slave;
        SlaveName = slaveName;
    }

    public FileDescriptor Master { get; }

    public FileDescriptor Slave { get; }

    /// <summary>/dev/pts/N of the slave.</summary>
    public string SlaveName { get; }

    /// <summary>Opens a new pair from /dev/ptmx; both ends close-on-exec, the master non-blocking.</summary>
    public static PseudoTerminal Open()
    {
        var master = new FileDescriptor(Libc.Check(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK), "posix_openpt"));
        try
        {
            Libc.Check(grantpt(master.Value), "grantpt");
            Libc.Check(unlockpt(master.Value), "unlockpt");
            byte* name = stackalloc byte[128];
            int rc = ptsname_r(master.Value, name, 128);
            if (rc != 0)
            {
                throw new LinuxException("ptsname_r", rc);
            }
            var raw = new ReadOnlySpan<byte>(name, 128);
            string slaveName = Encoding.UTF8.GetString(raw[..raw.IndexOf((byte)0)]);
            FileDescriptor slave = FileDescriptor.Open(slaveName, O_RDWR | O_NOCTTY);
            return new PseudoTerminal(master, slave, slaveName);
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>TIOCSWINSZ on the master: the foreground process group gets SIGWINCH.</summary>
    public static void Resize(FileDescriptor master, TerminalSize size)
    {
        WinSize ws = new() { ws_row = size.Rows, ws_col = size.Columns };
        Ioctl.Invoke(master, TIOCSWINSZ, ref ws, "TIOCSWINSZ");
    }

    public static TerminalSize GetSize(FileDescriptor fd)
    {
        WinSize ws = default;
        Ioctl.Invoke(fd, TIOCGWINSZ, ref ws, "TIOCGWINSZ");
        return new TerminalSize(ws.ws_row, ws.ws_col);
    }

    public void Dispose()
    {
        Master.Dispose();
        Slave.Dispose();
    }
}
