using System.Text;

namespace KataSharp.Runtime.Logging;

/// <summary>
/// Structured log lines in containerd's logfmt style (time, level, msg, sandbox, container), so
/// the lines the shim writes to the bundle's log FIFO read like containerd's own daemon log.
/// </summary>
public sealed class RuntimeLog
{
    private readonly TextWriter _writer;
    private readonly object _gate;
    private readonly DebugSwitch _debug;

    public RuntimeLog(TextWriter writer, bool debug, string? sandboxId = null)
        : this(writer, new object(), new DebugSwitch { On = debug }, sandboxId)
    {
    }

    private RuntimeLog(TextWriter writer, object gate, DebugSwitch debug, string? sandboxId)
    {
        _writer = writer;
        _gate = gate;
        _debug = debug;
        SandboxId = sandboxId;
    }

    public static RuntimeLog Null { get; } = new(TextWriter.Null, debug: false);

    public bool IsDebugEnabled => _debug.On;

    public string? SandboxId { get; }

    /// <summary>A log for one sandbox sharing this one's writer and debug switch.</summary>
    public RuntimeLog ForSandbox(string sandboxId) => new(_writer, _gate, _debug, sandboxId);

    /// <summary>
    /// Turns debug lines on for this log and every log made from it: the log exists before the
    /// configuration is read, and `[runtime] debug = true` must act like containerd's -debug.
    /// </summary>
    public void EnableDebug() => _debug.On = true;

    public void Debug(string message, string? containerId = null)
    {
        if (IsDebugEnabled)
        {
            Write("debug", message, containerId);
        }
    }

    public void Info(string message, string? containerId = null) => Write("info", message, containerId);

    public void Warn(string message, string? containerId = null) => Write("warning", message, containerId);

    public void Error(string message, string? containerId = null) => Write("error", message, containerId);

    /// <summary>An error line with a structured field that readers take instead of the message text (see <see cref="LogField"/>).</summary>
    public void Error(string message, LogField field) => Write("error", message, null, field);

    private void Write(string level, string message, string? containerId, LogField? field = null)
    {
        var line = new StringBuilder(128);
        line.Append("time=\"").Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ")).Append('"');
        line.Append(" level=").Append(level);
        line.Append(" msg=").Append(Quote(message));
        if (SandboxId is not null)
        {
            line.Append(" sandbox=").Append(Quote(SandboxId));
        }
        if (containerId is not null)
        {
            line.Append(" container=").Append(Quote(containerId));
        }
        if (field is { } f)
        {
            // Last but one, never inside msg: a reader anchors the field to the line's end, so text
            // quoted in msg (a guest's console lines) cannot pose as it.
            line.Append(' ').Append(f.Key).Append('=').Append(Value(f.Value));
        }
        line.Append(" runtime=io.containerd.katasharp.v2");
        lock (_gate)
        {
            try
            {
                _writer.WriteLine(line.ToString());
                _writer.Flush();
            }
            catch (IOException)
            {
                // The log FIFO's reader (containerd) is gone; logging must never take the shim down.
            }
        }
    }

    private sealed class DebugSwitch
    {
        public volatile bool On;
    }

    /// <summary>A bare word stays bare (vm_exit_reason=GuestShutdown); anything else is quoted.</summary>
    private static string Value(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? value : Quote(value);

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
}
