using System.Text;

namespace KataSharp.Runtime.Logging;

/// <summary>
/// Structured log lines in containerd's logfmt style (time, level, msg, sandbox, container), so
/// the lines the shim writes to the bundle's log FIFO read like containerd's own daemon log.
/// Records below the log's level are not written (<see cref="UseConfiguredLevel"/>): info until the
/// configuration is read, debug from the start when containerd runs the shim with -debug.
/// Logging never blocks: records go through a bounded <see cref="LogRecordQueue"/> that one thread
/// writes out, so a slow reader of the FIFO cannot stall a vCPU, the event loop or a request
/// (it costs dropped records instead, counted in <see cref="Drops"/>). Every field is quoted with
/// its control characters escaped, so no text — ours or the guest's — can break a record in two.
/// </summary>
public sealed class RuntimeLog : IDisposable
{
    /// <summary>The longest message kept in one record; the rest is cut, with a note saying how much.</summary>
    public const int MaxMessageLength = 64 * 1024;

    private const int MaxIdLength = 256;

    /// <summary>How long <see cref="Dispose"/> waits for queued records to be written.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly LogRecordQueue? _queue;
    private readonly LevelSwitch _level;
    private readonly bool _ownsQueue;

    /// <param name="writer">Where records go (containerd's log FIFO); written from the log's own thread only.</param>
    /// <param name="queueCapacityChars">The most characters waiting for the writer before records are dropped.</param>
    public RuntimeLog(TextWriter writer, bool debug, string? sandboxId = null, int queueCapacityChars = LogRecordQueue.DefaultCapacityChars)
    {
        var drops = new DropCounters();
        _queue = writer == TextWriter.Null
            ? null
            : new LogRecordQueue(writer, queueCapacityChars, drops, dropped =>
                Format(LogSeverity.Warning, $"dropped {dropped} log records: the log's reader (containerd) was too slow", sandboxId, null, []));
        Drops = drops;
        _level = new LevelSwitch(startedWithDebug: debug);
        _ownsQueue = true;
        SandboxId = sandboxId;
    }

    private RuntimeLog(RuntimeLog root, string sandboxId)
    {
        _queue = root._queue;
        _level = root._level;
        Drops = root.Drops;
        SandboxId = sandboxId;
    }

    /// <summary>A log that writes nothing (no thread, no queue); its <see cref="Drops"/> are shared by all its users.</summary>
    public static RuntimeLog Null { get; } = new(TextWriter.Null, debug: false);

    /// <summary>The least severe level written.</summary>
    public LogSeverity Level => _level.Current;

    public bool IsDebugEnabled => IsEnabled(LogSeverity.Debug);

    /// <summary>True when a record at <paramref name="severity"/> would be written (callers skip building one that would not).</summary>
    public bool IsEnabled(LogSeverity severity) => severity >= _level.Current;

    public string? SandboxId { get; }

    /// <summary>What the sandbox's bounds dropped; shared by every log made from this one.</summary>
    public DropCounters Drops { get; }

    /// <summary>A log for one sandbox sharing this one's writer, queue, counters and level.</summary>
    public RuntimeLog ForSandbox(string sandboxId) => new(this, sandboxId);

    /// <summary>
    /// Sets the level of this log and every log made from it to the configuration's (<c>[runtime]
    /// log_level</c>, or debug with <c>[runtime] debug = true</c>): the log exists before the
    /// configuration is read. A log that containerd's -debug made a debug log stays one: either switch
    /// asks for debug lines, and neither may hide what the other asked for.
    /// </summary>
    public void UseConfiguredLevel(LogSeverity configured) => _level.Configure(configured);

    public void Debug(string message, string? containerId = null) => Log(LogSeverity.Debug, message, containerId);

    public void Info(string message, string? containerId = null) => Log(LogSeverity.Info, message, containerId);

    public void Warn(string message, string? containerId = null) => Log(LogSeverity.Warning, message, containerId);

    public void Error(string message, string? containerId = null) => Log(LogSeverity.Error, message, containerId);

    /// <summary>An error record with a structured field that readers take instead of the message text (see <see cref="LogField"/>).</summary>
    public void Error(string message, LogField field) => Log(LogSeverity.Error, message, null, [field]);

    /// <summary>An info record with a structured field that readers take instead of the message text (see <see cref="LogField"/>).</summary>
    public void Info(string message, LogField field) => Log(LogSeverity.Info, message, null, [field]);

    /// <summary>A debug record with structured fields, in the order given (the pod-start timeline's phase lines).</summary>
    public void Debug(string message, string? containerId, ReadOnlySpan<LogField> fields) => Log(LogSeverity.Debug, message, containerId, fields);

    /// <summary>One record at <paramref name="severity"/> (none below the log's level). Never blocks.</summary>
    public void Log(LogSeverity severity, string message, string? containerId = null) => Log(severity, message, containerId, []);

    private void Log(LogSeverity severity, string message, string? containerId, ReadOnlySpan<LogField> fields)
    {
        if (_queue is null || !IsEnabled(severity))
        {
            return;
        }
        _queue.TryEnqueue(Format(severity, message, SandboxId, containerId, fields));
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until every record logged so far is written.</summary>
    public bool Flush(TimeSpan timeout) => _queue is null || _queue.Flush(timeout);

    /// <summary>
    /// Writes what is queued, waiting at most <paramref name="timeout"/> (the FIFO's reader may be
    /// gone or stuck), and stops the log's thread. Records logged afterwards are dropped.
    /// </summary>
    public bool Close(TimeSpan timeout) => !_ownsQueue || _queue is null || _queue.Close(timeout);

    /// <summary>Closes the log (a log made by <see cref="ForSandbox"/> leaves its root's open).</summary>
    public void Dispose() => Close(CloseTimeout);

    private static string Format(LogSeverity severity, string message, string? sandboxId, string? containerId, ReadOnlySpan<LogField> fields)
    {
        var line = new StringBuilder(128 + Math.Min(message.Length, MaxMessageLength));
        line.Append("time=\"").Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ")).Append('"');
        line.Append(" level=").Append(severity switch
        {
            LogSeverity.Debug => "debug",
            LogSeverity.Info => "info",
            LogSeverity.Warning => "warning",
            _ => "error",
        });
        line.Append(" msg=");
        UntrustedText.AppendQuoted(line, message, MaxMessageLength);
        if (sandboxId is not null)
        {
            line.Append(" sandbox=");
            UntrustedText.AppendQuoted(line, sandboxId, MaxIdLength);
        }
        if (containerId is not null)
        {
            line.Append(" container=");
            UntrustedText.AppendQuoted(line, containerId, MaxIdLength);
        }
        foreach (LogField f in fields)
        {
            // Before the last field, never inside msg: a reader anchors the fields to the line's end, so text
            // quoted in msg (a guest's console lines) cannot pose as one.
            line.Append(' ').Append(f.Key).Append('=');
            AppendValue(line, f.Value);
        }
        line.Append(" runtime=io.containerd.katasharp.v2");
        return line.ToString();
    }

    /// <summary>The level shared by a root log and its sandbox logs. Info until configured; debug for good when
    /// the shim was started with containerd's -debug (<paramref name="startedWithDebug"/>).</summary>
    private sealed class LevelSwitch(bool startedWithDebug)
    {
        private volatile int _current = (int)(startedWithDebug ? LogSeverity.Debug : LogSeverity.Info);

        public LogSeverity Current => (LogSeverity)_current;

        public void Configure(LogSeverity configured) => _current = (int)(startedWithDebug ? LogSeverity.Debug : configured);
    }

    /// <summary>A bare word stays bare (vm_exit_reason=GuestShutdown); anything else is quoted.</summary>
    private static void AppendValue(StringBuilder line, string value)
    {
        if (value.Length > 0 && value.Length <= MaxIdLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            line.Append(value);
        }
        else
        {
            UntrustedText.AppendQuoted(line, value, MaxIdLength);
        }
    }
}
