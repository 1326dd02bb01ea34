using KataSharp.Runtime.Logging;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The guest console (COM1) as shim log lines: bytes are collected up to each newline and logged
/// with the sandbox id, so the kernel's and init's messages sit in containerd's log next to ours.
/// Once the agent's own log stream is connected (<see cref="AgentLogConnected"/>) the console only
/// repeats it, so its lines drop to debug level; the console tail still goes into crash reports.
/// A vCPU thread calls <see cref="Write(ReadOnlySpan{byte})"/> for the UART, so it never blocks:
/// lines are cut at <see cref="GuestOutputLimits.MaxLineBytes"/> in a fixed buffer, rate-limited,
/// escaped, and handed to the log's bounded queue. With a <see cref="GuestConsoleFile"/> every line
/// (before the level and the rate limit, which are the log's) also goes to that file's bounded queue.
/// </summary>
public sealed class GuestConsoleLog : Stream
{
    private readonly RuntimeLog _log;
    private readonly BoundedLineSplitter _lines;
    private readonly GuestLineRateLimit _rate;
    private readonly BoundedLineSplitter.LineHandler _emit;
    private readonly GuestConsoleFile? _file;
    private volatile bool _agentLogConnected;

    /// <param name="file">Where every console line is also written; disposed with this.</param>
    public GuestConsoleLog(RuntimeLog log, GuestOutputLimits? limits = null, GuestConsoleFile? file = null)
    {
        limits ??= GuestOutputLimits.Default;
        _log = log;
        _file = file;
        _lines = new BoundedLineSplitter(limits.MaxLineBytes);
        _rate = new GuestLineRateLimit(limits, log, "guest console");
        _emit = EmitLine;
    }

    /// <summary>Called when the agent's log lines start arriving over vsock.</summary>
    public void AgentLogConnected() => _agentLogConnected = true;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>The UART hands over one byte at a time: no array per byte.</summary>
    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_lines)
        {
            _lines.Append(buffer, _emit);
        }
    }

    public override void Flush()
    {
        // Lines are logged as they complete; a partial line waits for its newline (or Dispose).
    }

    private void EmitLine(ReadOnlySpan<byte> line, bool truncated)
    {
        if (truncated)
        {
            _log.Drops.CountTruncatedGuestLine();
        }
        _file?.TryAppend(line, truncated);
        LogSeverity severity = _agentLogConnected ? LogSeverity.Debug : LogSeverity.Info;
        if (!_log.IsEnabled(severity) || !_rate.TryAdmit(line.Length))
        {
            return;
        }
        string cut = truncated ? $" …[cut at {_lines.MaxLineBytes} bytes]" : "";
        _log.Log(severity, $"guest console: {UntrustedText.Escape(line, _lines.MaxLineBytes)}{cut}");
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lines)
            {
                _lines.Finish(_emit);
            }
            _rate.Dispose();
            _file?.Dispose();
        }
        base.Dispose(disposing);
    }
}
