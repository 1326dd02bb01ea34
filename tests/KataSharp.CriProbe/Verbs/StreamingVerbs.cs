using System.Text;
using KataSharp.CriProbe.Cli;
using KataSharp.CriProbe.Connection;
using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Verbs;

/// <summary>
/// exec, attach and port-forward: the CRI call returns a URL on the CRI server's streaming server
/// (containerd: http://127.0.0.1:PORT/exec/TOKEN), and the bytes then flow over a WebSocket in
/// Kubernetes' channel protocol, as `kubectl exec` gets them through the kubelet.
///
/// Stdin: the probe's stdin is copied to the remote stdin, but its end cannot be passed on — the
/// protocols containerd 1.6 accepts (v4.channel.k8s.io and older) have no half-close, and closing
/// the WebSocket ends the whole session. So a command fed from stdin must end by itself (read one
/// line: `head -n1`), or the session is ended by --for / --call-timeout.
/// </summary>
internal static class StreamingVerbs
{
    /// <summary>The most of channel 3 (status) or the port-forward error channel kept; they are one short JSON or line.</summary>
    private const int MaxStatusBytes = 64 << 10;

    /// <summary>Exec: the command's stdout/stderr are copied out and the probe exits with its exit code (from the v4 status).</summary>
    public static async Task<int> ExecAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        bool stdin = args.Boolean("stdin");
        bool tty = args.Boolean("tty");
        args.EnsureAllUsed();
        if (args.Command.Count == 0)
        {
            throw new ProbeException("exec needs a command after --");
        }
        // With a tty the process has one output stream: CRI forbids stderr then (containerd rejects tty with stderr).
        var request = new ExecRequest { ContainerId = id, Tty = tty, Stdin = stdin, Stdout = true, Stderr = !tty };
        request.Cmd.Add(args.Command);
        ExecResponse r = await cri.Runtime.ExecAsync(request, cri.Call());
        return await RemoteCommandAsync("exec", r.Url, stdin, duration: null, cri.CallTimeout);
    }

    /// <summary>
    /// Attach to the container's own stdout/stderr (and stdin with --stdin, which needs a container
    /// created with --stdin true): prints what arrives until the container exits, or for --for
    /// SECONDS and then exits 0.
    /// </summary>
    public static async Task<int> AttachAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        bool stdin = args.Boolean("stdin");
        bool tty = args.Boolean("tty");
        TimeSpan? duration = For(args);
        args.EnsureAllUsed();
        // --tty must match how the container was created (CRI: "This must match the TTY setting in the ContainerConfig").
        var request = new AttachRequest { ContainerId = id, Stdin = stdin, Tty = tty, Stdout = true, Stderr = !tty };
        AttachResponse r = await cri.Runtime.AttachAsync(request, cri.Call());
        return await RemoteCommandAsync("attach", r.Url, stdin, duration, cri.CallTimeout);
    }

    /// <summary>
    /// PortForward to one TCP port in the pod's network namespace: stdin goes to the port, what
    /// comes back goes to stdout. Whatever the error channel carries (containerd writes there when it
    /// cannot dial the port) goes to stderr and the exit code is 1. Ends when the server closes the
    /// WebSocket (containerd does once the connection in the pod is done) or after --for SECONDS.
    /// </summary>
    public static async Task<int> PortForwardAsync(CriSession cri, ProbeArguments args)
    {
        if (args.Positional.Count != 2)
        {
            throw new ProbeException($"port-forward takes POD-ID PORT, got {args.Positional.Count} word(s) ({string.Join(' ', args.Positional)})");
        }
        string pod = args.Positional[0];
        ushort port = ushort.TryParse(args.Positional[1], out ushort p) && p > 0 ? p
            : throw new ProbeException($"port-forward: '{args.Positional[1]}' is not a port 1-65535");
        TimeSpan? duration = For(args);
        args.EnsureAllUsed();
        var request = new PortForwardRequest { PodSandboxId = pod };
        request.Port.Add(port);
        PortForwardResponse r = await cri.Runtime.PortForwardAsync(request, cri.Call());

        // containerd takes the ports from the CRI request behind the token; the kubelet's own server
        // (and streaming servers built on the same package without a cached request) read them from
        // the `ports` query parameter, so it is sent too.
        var uri = new UriBuilder(ChannelFrames.ToWebSocketUri(r.Url)) { Query = $"ports={port}" }.Uri;
        using var timeout = new CancellationTokenSource(cri.CallTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        if (duration is TimeSpan d)
        {
            stop.CancelAfter(d);
        }
        // Port-forward accepts only v4.channel.k8s.io (and its base64 twin) or no subprotocol:
        // channel.k8s.io is not offered there, and portforward.k8s.io is the SPDY protocol's name.
        await using ChannelWebSocket socket = await ChannelWebSocket.ConnectAsync(uri, [ChannelFrames.V4Protocol], timeout.Token);
        _ = PumpStdinAsync(socket, channel: 0, stop.Token);

        const byte Data = 0, Error = 1;
        var dataPrefix = new PortPrefix(port);
        var errorPrefix = new PortPrefix(port);
        var error = new BoundedBuffer(MaxStatusBytes);
        await using Stream stdout = Console.OpenStandardOutput();
        try
        {
            while (await socket.ReceiveAsync(stop.Token) is var (channel, payload))
            {
                switch (channel)
                {
                    case Data:
                        await Write(stdout, dataPrefix.Strip(payload), stop.Token);
                        break;
                    case Error:
                        error.Append(errorPrefix.Strip(payload).Span);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (!timeout.IsCancellationRequested && stop.IsCancellationRequested)
        {
            // --for elapsed: the normal end of a bounded forward.
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new ProbeException($"port-forward: still open after --call-timeout {cri.CallTimeout.TotalSeconds:0}s (pass --for SECONDS to end it on purpose)");
        }
        if (error.Length > 0)
        {
            Console.Error.WriteLine($"katasharp-criprobe: port-forward error channel: {error.Text.ReplaceLineEndings(" ")}");
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// The exec/attach session: channel 1 → stdout, 2 → stderr, 3 → the end status. The exit code
    /// is 0 for Success, the ExitCode cause of a failure, and a probe error (125) for a failure
    /// without one (the exec itself failed: no such executable, container not running).
    /// </summary>
    private static async Task<int> RemoteCommandAsync(string verb, string url, bool stdin, TimeSpan? duration, TimeSpan callTimeout)
    {
        Uri uri = ChannelFrames.ToWebSocketUri(url);
        using var timeout = new CancellationTokenSource(callTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        if (duration is TimeSpan d)
        {
            stop.CancelAfter(d);
        }
        await using ChannelWebSocket socket = await ChannelWebSocket.ConnectAsync(uri, [ChannelFrames.V4Protocol, ChannelFrames.PreV4Protocol], timeout.Token);
        bool v4 = socket.Protocol == ChannelFrames.V4Protocol;
        if (stdin)
        {
            _ = PumpStdinAsync(socket, ChannelFrames.Stdin, stop.Token);
        }

        var status = new BoundedBuffer(MaxStatusBytes);
        await using Stream stdout = Console.OpenStandardOutput();
        await using Stream stderr = Console.OpenStandardError();
        try
        {
            while (await socket.ReceiveAsync(stop.Token) is var (channel, payload))
            {
                switch (channel)
                {
                    case ChannelFrames.Stdout:
                        await Write(stdout, payload, stop.Token);
                        break;
                    case ChannelFrames.Stderr:
                        await Write(stderr, payload, stop.Token);
                        break;
                    case ChannelFrames.Error:
                        status.Append(payload.Span);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (duration is not null && !timeout.IsCancellationRequested && stop.IsCancellationRequested)
        {
            return 0; // --for elapsed (attach): what arrived until then is the answer.
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new ProbeException($"{verb}: no end within --call-timeout {callTimeout.TotalSeconds:0}s (a command reading stdin never sees its end: v4.channel.k8s.io has no half-close)");
        }

        if (!v4)
        {
            // Before v4 channel 3 only carries an error's text, never an exit code.
            return status.Length == 0 ? 0 : throw new ProbeException($"{verb} failed ({socket.Protocol}, no exit code in this protocol): {status.Text}");
        }
        if (status.Length == 0)
        {
            throw new ProbeException($"{verb}: the streaming server closed the session without a status on channel 3");
        }
        RemoteStatus end = RemoteStatus.Parse(status.Bytes);
        if (end.Success)
        {
            return 0;
        }
        return end.ExitCode ?? throw new ProbeException($"{verb} failed: {end.Message.ReplaceLineEndings(" ")}");
    }

    /// <summary>Copies the probe's stdin to a channel until it ends (the end itself cannot be sent; see the class comment).</summary>
    private static async Task PumpStdinAsync(ChannelWebSocket socket, byte channel, CancellationToken ct)
    {
        try
        {
            await using Stream input = Console.OpenStandardInput();
            var buffer = new byte[32 << 10];
            int n;
            while ((n = await input.ReadAsync(buffer, ct)) > 0)
            {
                await socket.SendAsync(channel, buffer.AsMemory(0, n), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or IOException)
        {
            // The session ended (or was ended) first: the receive side reports how.
        }
    }

    /// <summary>--for SECONDS: how long a session that does not end by itself is kept open.</summary>
    private static TimeSpan? For(ProbeArguments args)
    {
        string? text = args.Optional("for");
        return text is null ? null
            : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= int.MaxValue
                ? TimeSpan.FromSeconds(seconds)
                : throw new ProbeException($"--for '{text}' is not a positive number of seconds");
    }

    private static async Task Write(Stream stream, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (bytes.Length > 0)
        {
            await stream.WriteAsync(bytes, ct);
            await stream.FlushAsync(ct);
        }
    }

    /// <summary>Bytes of a short channel (status, error text), capped so a misbehaving server cannot grow it without bound.</summary>
    private sealed class BoundedBuffer(int limit)
    {
        private readonly MemoryStream _bytes = new();

        public int Length => (int)_bytes.Length;

        public ReadOnlySpan<byte> Bytes => _bytes.GetBuffer().AsSpan(0, Length);

        public string Text => Encoding.UTF8.GetString(Bytes);

        public void Append(ReadOnlySpan<byte> data)
        {
            if (_bytes.Length + data.Length > limit)
            {
                throw new ProbeException($"the streaming server sent more than {limit} bytes of status/error text");
            }
            _bytes.Write(data);
        }
    }
}
