using System.Text;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>
/// A log sink tests can read while the log's thread writes to it, and can stall like a FIFO
/// containerd does not read (<see cref="Block"/>): a write then waits until <see cref="Release"/>.
/// </summary>
public sealed class RecordingLogWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private int _blockedWriters;

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Writes started while blocked and still waiting.</summary>
    public int BlockedWriters => Volatile.Read(ref _blockedWriters);

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public IReadOnlyList<string> Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public void Block() => _open.Reset();

    public void Release() => _open.Set();

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (!_open.IsSet)
        {
            Interlocked.Increment(ref _blockedWriters);
            _open.Wait();
            Interlocked.Decrement(ref _blockedWriters);
        }
        lock (_text)
        {
            _text.Append(value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _open.Set();
        }
        base.Dispose(disposing);
    }
}
