using System.Net.Sockets;
using System.Text;
using KataSharp.Agent.Protocol.DebugConsoleWire;
using KataSharp.Cli.CommandLine;
using KataSharp.Cli.DebugShell;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Cli;

/// <summary>
/// `katasharp exec`: which sandboxes it refuses and how it says so (from the shim's persisted state), and the host end of
/// the debug console's wire against a scripted guest: output copied as it is, the exit code passed on, a guest that
/// breaks the protocol or goes away ends the session with 1.
/// </summary>
public sealed class ExecCommandTests : IDisposable
{
    private readonly TempDirectory _root = new("ks-exec");
    private readonly List<BlockedInput> _idleInputs = [];

    [Fact]
    public void A_sandbox_that_does_not_exist_is_refused_naming_the_state_root_and_where_ids_come_from()
    {
        var store = new SandboxStateStore(_root.Path);
        var error = Assert.Throws<DebugConsoleRefusedException>(() => DebugConsoleTarget.Resolve(store, "nosuch"));
        Assert.Contains($"no sandbox 'nosuch' under {_root.Path}", error.Message);
        Assert.Contains("crictl pods", error.Message);
    }

    [Fact]
    public void A_sandbox_started_without_the_debug_console_is_refused_naming_the_key()
    {
        var store = new SandboxStateStore(_root.Path);
        store.Save(new SandboxRecord("pod-a", "default", 1, 1, "/s", [], DebugConsole: false));
        var error = Assert.Throws<DebugConsoleRefusedException>(() => DebugConsoleTarget.Resolve(store, "pod-a"));
        Assert.Contains("[runtime] debug_console", error.Message);
        Assert.Contains("debug_console = true", error.Message);
        Assert.Contains("restart the pod", error.Message);
    }

    [Fact]
    public void A_sandbox_started_with_the_debug_console_resolves_to_its_vsock_socket()
    {
        var store = new SandboxStateStore(_root.Path);
        store.Save(new SandboxRecord("pod-b", "default", 1, 1, "/s", [], DebugConsole: true));
        Assert.Equal(SandboxPaths.VsockSocket(Path.Combine(_root.Path, "pod-b")), DebugConsoleTarget.Resolve(store, "pod-b"));
    }

    [Fact]
    public void A_record_from_before_the_key_reads_as_without_the_debug_console()
    {
        Directory.CreateDirectory(_root.Combine("old"));
        File.WriteAllText(_root.Combine("old", "state.json"),
            """{"sandbox_id":"old","namespace":"default","shim_pid":1,"shim_start_time":1,"socket_path":"/s","containers":[]}""");
        var error = Assert.Throws<DebugConsoleRefusedException>(() => DebugConsoleTarget.Resolve(new SandboxStateStore(_root.Path), "old"));
        Assert.Contains("[runtime] debug_console", error.Message);
    }

    [Fact]
    public void The_command_line_refuses_an_unknown_sandbox_with_status_1_and_has_help()
    {
        string? previous = Environment.GetEnvironmentVariable(SandboxStateStore.RootVariable);
        Environment.SetEnvironmentVariable(SandboxStateStore.RootVariable, _root.Path);
        try
        {
            var error = new StringWriter();
            Assert.Equal(1, KatasharpCommandLine.Invoke(["exec", "nosuch", "--", "uname", "-r"], new StringWriter(), error));
            Assert.StartsWith("katasharp exec: no sandbox 'nosuch'", error.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(SandboxStateStore.RootVariable, previous);
        }
        var help = new StringWriter();
        Assert.Equal(0, KatasharpCommandLine.Invoke(["exec", "--help"], help, new StringWriter()));
        Assert.Contains("debug_console", help.ToString());
        Assert.Contains("--tty", help.ToString());
    }

    [Fact]
    public async Task The_client_sends_the_open_frame_and_input_then_copies_output_and_error_and_returns_the_exit_code()
    {
        var (host, guest) = await ConnectedPairAsync();
        var messages = new StringWriter();
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        Task<int> session = new DebugConsoleClient(host, messages).RunAsync(new DebugConsoleOpen(false, 0, 0, "cat"),
            new MemoryStream("typed"u8.ToArray()), stdout, stderr, CancellationToken.None);

        var decoder = new DebugConsoleFrameDecoder();
        DebugConsoleFrame open = await NextAsync(guest, decoder);
        Assert.Equal(new DebugConsoleOpen(false, 0, 0, "cat"), DebugConsoleOpen.Parse(open));
        DebugConsoleFrame typed = await NextAsync(guest, decoder);
        Assert.Equal((DebugConsoleFrameType.Input, "typed"), (typed.Type, Encoding.UTF8.GetString(typed.Payload.Span)));
        Assert.Equal(DebugConsoleFrameType.InputEnd, (await NextAsync(guest, decoder)).Type);
        // Guest bytes reach stdout untouched, escape sequences included: the terminal is the user's to interpret them.
        await guest.WriteAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Output, "out\u001b[2J\r\n"u8));
        await guest.WriteAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.ErrorOutput, "err\n"u8));
        await guest.WriteAsync(DebugConsoleFrame.Exit(42));

        Assert.Equal(42, await session.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("out\u001b[2J\r\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("err\n", Encoding.UTF8.GetString(stderr.ToArray()));
        Assert.Equal("", messages.ToString());
    }

    [Fact]
    public async Task A_resize_goes_out_as_its_own_frame()
    {
        var (host, guest) = await ConnectedPairAsync();
        var client = new DebugConsoleClient(host, new StringWriter());
        using var input = new BlockedInput();
        Task<int> session = client.RunAsync(new DebugConsoleOpen(true, 24, 80, null), input, Stream.Null, Stream.Null, CancellationToken.None);
        var decoder = new DebugConsoleFrameDecoder();
        Assert.Equal(new DebugConsoleOpen(true, 24, 80, null), DebugConsoleOpen.Parse(await NextAsync(guest, decoder)));
        await client.ResizeAsync(50, 132, CancellationToken.None);
        DebugConsoleFrame resize = await NextAsync(guest, decoder);
        Assert.Equal(DebugConsoleFrameType.Resize, resize.Type);
        Assert.Equal(((ushort)50, (ushort)132), resize.ReadSize());
        await guest.WriteAsync(DebugConsoleFrame.Exit(0));
        Assert.Equal(0, await session.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_refusal_is_printed_escaped_and_is_status_1()
    {
        var (guest, messages, session) = await StartIdleAsync();
        await guest.WriteAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Refused, "no shell\u001b]0;owned\u0007"u8));
        Assert.Equal(1, await session.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("the guest refused: no shell", messages.ToString());
        Assert.DoesNotContain("\u001b", messages.ToString());
    }

    [Fact]
    public async Task A_guest_that_sends_a_host_frame_breaks_the_protocol()
    {
        var (guest, _, session) = await StartIdleAsync();
        await guest.WriteAsync(DebugConsoleFrame.Resize(1, 1));
        await Assert.ThrowsAsync<InvalidDataException>(() => session.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_guest_that_goes_away_without_an_exit_status_is_status_1_with_a_message()
    {
        var (guest, messages, session) = await StartIdleAsync();
        await guest.WriteAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Output, "partial"u8));
        guest.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(1, await session.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("without an exit status", messages.ToString());
    }

    /// <summary>An interactive session without a terminal whose user types nothing: what happens is the guest's doing.</summary>
    private async Task<(NetworkStream Guest, StringWriter Messages, Task<int> Session)> StartIdleAsync()
    {
        var (host, guest) = await ConnectedPairAsync();
        var messages = new StringWriter();
        var input = new BlockedInput();
        _idleInputs.Add(input);
        Task<int> session = new DebugConsoleClient(host, messages).RunAsync(new DebugConsoleOpen(false, 0, 0, null), input, Stream.Null, Stream.Null, CancellationToken.None);
        return (guest, messages, session);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(7, 7)]
    [InlineData(137, 137)]
    [InlineData(255, 255)]
    [InlineData(256, 1)]
    [InlineData(-1, 1)]
    public void The_guest_exit_code_becomes_a_process_status(int code, int status) => Assert.Equal(status, DebugConsoleClient.ExitStatus(code));

    private async Task<(NetworkStream Host, NetworkStream Guest)> ConnectedPairAsync()
    {
        string path = _root.Combine($"pair-{Guid.NewGuid():N}.sock"[..16]);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var host = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await host.ConnectAsync(new UnixDomainSocketEndPoint(path));
        Socket guest = await listener.AcceptAsync();
        return (new NetworkStream(host, ownsSocket: true), new NetworkStream(guest, ownsSocket: true));
    }

    private static async Task<DebugConsoleFrame> NextAsync(Stream stream, DebugConsoleFrameDecoder decoder)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        DebugConsoleFrame frame;
        while (!decoder.TryTake(out frame))
        {
            int n = await stream.ReadAsync(decoder.Free, deadline.Token);
            Assert.True(n > 0, "the host closed the connection");
            decoder.Advance(n);
        }
        // The payload is the decoder's until its next read: keep a copy.
        return new DebugConsoleFrame(frame.Type, frame.Payload.ToArray());
    }

    /// <summary>Input that has nothing yet (a terminal nobody types on) until disposed.</summary>
    private sealed class BlockedInput : Stream
    {
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _closed.Task.WaitAsync(cancellationToken);
            return 0;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _closed.TrySetResult();
            base.Dispose(disposing);
        }
    }

    public void Dispose()
    {
        _idleInputs.ForEach(input => input.Dispose());
        _root.Dispose();
    }
}
