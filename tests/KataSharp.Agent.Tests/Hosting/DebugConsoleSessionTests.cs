using System.Net.Sockets;
using System.Text;
using KataSharp.Agent.Hosting;
using KataSharp.Agent.Protocol.DebugConsoleWire;
using KataSharp.Agent.Tests.Support;
using KataSharp.Linux.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace KataSharp.Agent.Tests.Hosting;

/// <summary>
/// The agent's end of the debug console with a real engine (ks-spawn in host mode, this machine's /bin/sh standing in
/// for the guest's busybox) over a unix socket pair standing in for the vsock connection: stdout and stderr apart without
/// a terminal, input and its end, a terminal sized by the open frame and resized in-band, the exit code last, and the
/// shell killed when the host breaks the protocol or goes away.
/// </summary>
public sealed class DebugConsoleSessionTests : IDisposable
{
    private readonly EngineHarness _harness = new();

    [Fact]
    public async Task A_command_without_a_terminal_keeps_stdout_and_stderr_apart_and_ends_with_its_exit_code()
    {
        using var session = Start(new DebugConsoleOpen(false, 0, 0, "echo out; echo err >&2; exit 3"));
        var (stdout, stderr, exit) = await session.CollectAsync();
        Assert.Equal(("out\n", "err\n", 3), (stdout, stderr, exit));
    }

    [Fact]
    public async Task Input_reaches_the_command_and_its_end_closes_stdin()
    {
        using var session = Start(new DebugConsoleOpen(false, 0, 0, "cat; echo done"));
        await session.SendAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Input, "hello\n"u8));
        await session.SendAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.InputEnd, []));
        var (stdout, stderr, exit) = await session.CollectAsync();
        Assert.Equal(("hello\ndone\n", "", 0), (stdout, stderr, exit));
    }

    [Fact]
    public async Task A_terminal_has_the_open_frames_size_and_takes_a_resize()
    {
        // The shell waits for input before it asks: the agent reads input only once the terminal has its size.
        using var session = Start(new DebugConsoleOpen(true, 30, 100, "read first; tty; stty size; read line; stty size"));
        await session.SendAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Input, "a\n"u8));
        // The first size is printed before the resize goes out.
        Assert.Null(await session.ReadUntilAsync("30 100\r\n"));
        await session.SendAsync(DebugConsoleFrame.Resize(40, 120));
        await session.SendAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Input, "go\n"u8));
        var (stdout, stderr, exit) = await session.CollectAsync();
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Contains("/dev/pts/", stdout);
        Assert.Contains("30 100\r\n", stdout);
        Assert.Contains("40 120\r\n", stdout);
    }

    /// <summary>The host breaking the protocol (a second open frame: the shell's status still comes back) or going away:
    /// either way the session ends, and with it the shell and what it started.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_session_the_host_ends_early_kills_the_shell_and_what_it_started(bool breakProtocol)
    {
        using var session = Start(new DebugConsoleOpen(false, 0, 0, "sleep 1000 & echo child=$!; wait"));
        int child = await session.ChildPidAsync();
        if (breakProtocol)
        {
            await session.SendAsync(new DebugConsoleOpen(false, 0, 0, null).Encode());
            Assert.Equal(128 + 9, (await session.CollectAsync()).Exit);
        }
        else
        {
            session.Host.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        }
        await session.Served.WaitAsync(TimeSpan.FromSeconds(30));
        await AssertEndsAsync(child);
    }

    /// <summary>Until <paramref name="pid"/> is gone or a zombie (killed; whoever inherited it reaps it in its own time).</summary>
    private static async Task AssertEndsAsync(int pid)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (File.Exists($"/proc/{pid}/stat") && !ZombieOrGone(pid))
        {
            Assert.True(await poll.WaitForNextTickAsync(deadline.Token), "unreachable");
        }
    }

    private static bool ZombieOrGone(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public void A_command_goes_to_sh_c_and_busybox_is_asked_for_its_shell()
    {
        Assert.Equal(["/bin/sh"], DebugConsoleSession.Arguments("/bin/sh", null));
        Assert.Equal(["/bin/sh", "-c", "uname -r"], DebugConsoleSession.Arguments("/bin/sh", "uname -r"));
        Assert.Equal(["/bin/busybox", "sh", "-c", "uname -r"], DebugConsoleSession.Arguments("/bin/busybox", "uname -r"));
    }

    private Session Start(DebugConsoleOpen open)
    {
        (StreamSocket guest, StreamSocket host) = StreamSocket.CreateUnixPair(nonBlocking: true);
        Socket hostSocket = host.ToDotNetSocket();
        host.Dispose();
        hostSocket.Blocking = true;
        var session = new Session(guest, hostSocket, new DebugConsoleSession(_harness.Engine, guest, NullLogger.Instance).RunAsync());
        hostSocket.Send(open.Encode());
        return session;
    }

    private sealed class Session(StreamSocket guest, Socket host, Task served) : IDisposable
    {
        public Socket Host => host;

        public Task Served => served;

        public async Task SendAsync(byte[] frame) => await host.SendAsync(frame);

        private readonly DebugConsoleFrameDecoder _decoder = new();

        /// <summary>The pid the command printed as "child=PID".</summary>
        public async Task<int> ChildPidAsync()
        {
            Assert.Null(await ReadUntilAsync("\n"));
            string line = _stdout.ToString();
            Assert.StartsWith("child=", line);
            return int.Parse(line["child=".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        /// <summary>Every output frame until the exit frame (stdout, stderr, the code).</summary>
        public async Task<(string Stdout, string Stderr, int Exit)> CollectAsync()
        {
            int exit = await ReadUntilAsync(null) ?? throw new Xunit.Sdk.XunitException("no exit frame");
            return (_stdout.ToString(), _stderr.ToString(), exit);
        }

        /// <summary>Output frames until stdout has <paramref name="text"/> (null: the exit code) or the exit frame (its code).</summary>
        public async Task<int?> ReadUntilAsync(string? text)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                while (_decoder.TryTake(out DebugConsoleFrame frame))
                {
                    switch (frame.Type)
                    {
                        case DebugConsoleFrameType.Output:
                            _stdout.Append(Encoding.UTF8.GetString(frame.Payload.Span));
                            break;
                        case DebugConsoleFrameType.ErrorOutput:
                            _stderr.Append(Encoding.UTF8.GetString(frame.Payload.Span));
                            break;
                        case DebugConsoleFrameType.Exit:
                            return frame.ReadExitCode();
                        default:
                            throw new Xunit.Sdk.XunitException($"unexpected {frame.Type} frame; output so far: {_stdout}");
                    }
                    if (text is not null && _stdout.ToString().Contains(text, StringComparison.Ordinal))
                    {
                        return null;
                    }
                }
                int n = await host.ReceiveAsync(_decoder.Free, SocketFlags.None, deadline.Token);
                Assert.True(n > 0, $"the session ended without an exit frame; output so far: {_stdout}");
                _decoder.Advance(n);
            }
        }

        public void Dispose()
        {
            host.Dispose();
            // The session owns nothing of the guest end: the agent's listener closes it after serving.
            guest.Dispose();
        }
    }

    public void Dispose() => _harness.Dispose();
}
