using System.Text;
using KataSharp.Runtime.Logging;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The guest console (COM1) as shim log lines: bytes are collected up to each newline and logged
/// with the sandbox id, so the kernel's and init's messages sit in containerd's log next to ours.
/// Once the agent's own log stream is connected (<see cref="AgentLogConnected"/>) the console only
/// repeats it, so its lines drop to debug level; the console tail still goes into crash reports.
/// </summary>
public sealed class GuestConsoleLog : Stream
{
    private const int MaxLine = 4096;

    private readonly RuntimeLog _log;
    private readonly MemoryStream _line = new();
    private volatile bool _agentLogConnected;

    public GuestConsoleLog(RuntimeLog log) => _log = log;

    /// <summary>Called when the agent's log lines start arriving over vsock.</summary>
    public void AgentLogConnected() => _agentLogConnected = true;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_line)
        {
            foreach (byte b in buffer)
            {
                if (b == '\n' || _line.Length >= MaxLine)
                {
                    EmitLine();
                    if (b == '\n')
                    {
                        continue;
                    }
                }
                if (b != '\r')
                {
                    _line.WriteByte(b);
                }
            }
        }
    }

    public override void Flush()
    {
        // Lines are logged as they complete; a partial line waits for its newline (or Dispose).
    }

    private void EmitLine()
    {
        string text = Encoding.UTF8.GetString(_line.GetBuffer(), 0, (int)_line.Length);
        _line.SetLength(0);
        if (_agentLogConnected)
        {
            _log.Debug($"guest console: {text}");
        }
        else
        {
            _log.Info($"guest console: {text}");
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_line)
            {
                if (_line.Length > 0)
                {
                    EmitLine();
                }
            }
        }
        base.Dispose(disposing);
    }
}
