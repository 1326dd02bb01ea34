using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using KataSharp.Linux.Terminals;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary><see cref="RawMode"/> on a real pseudo-terminal: the terminal's settings change and come back as they were;
/// a pipe is not a terminal.</summary>
public sealed unsafe class RawModeTests
{
    [Fact]
    public void Raw_mode_turns_off_echo_line_editing_and_signal_keys_and_dispose_restores_every_setting()
    {
        using PseudoTerminal pty = PseudoTerminal.Open();
        TermbitsCalls.Termios before = Read(pty.Slave);
        Assert.NotEqual(0u, before.c_lflag & (TermbitsCalls.ICANON | TermbitsCalls.ECHO | TermbitsCalls.ISIG));

        RawMode? raw = RawMode.TryEnter(pty.Slave);
        Assert.NotNull(raw);
        TermbitsCalls.Termios during = Read(pty.Slave);
        Assert.Equal(0u, during.c_lflag & (TermbitsCalls.ICANON | TermbitsCalls.ECHO | TermbitsCalls.ISIG | TermbitsCalls.IEXTEN));
        Assert.Equal(0u, during.c_iflag & (TermbitsCalls.ICRNL | TermbitsCalls.IXON));
        Assert.Equal(0u, during.c_oflag & TermbitsCalls.OPOST);
        Assert.Equal(TermbitsCalls.CS8, during.c_cflag & TermbitsCalls.CSIZE);
        Assert.Equal(1, during.c_cc[TermbitsCalls.VMIN]);

        raw.Dispose();
        raw.Dispose(); // once only: a second restore (a signal racing the normal exit) changes nothing
        TermbitsCalls.Termios after = Read(pty.Slave);
        Assert.Equal(Bytes(before), Bytes(after));
    }

    [Fact]
    public void A_pipe_is_not_a_terminal()
    {
        (FileDescriptor read, FileDescriptor write) = Pipe.Create();
        using (read)
        using (write)
        {
            Assert.Null(RawMode.TryEnter(read));
        }
    }

    private static TermbitsCalls.Termios Read(FileDescriptor fd)
    {
        TermbitsCalls.Termios settings = default;
        Ioctl.Invoke(fd, IoctlCalls.TCGETS, ref settings, "TCGETS");
        return settings;
    }

    private static byte[] Bytes(TermbitsCalls.Termios settings) => new ReadOnlySpan<byte>(&settings, sizeof(TermbitsCalls.Termios)).ToArray();
}
