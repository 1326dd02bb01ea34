namespace KataSharp.Runtime.Logging;

/// <summary>
/// Splits a byte stream from the guest into lines in one fixed buffer. A line longer than the
/// buffer is handed out cut (flagged) as soon as it overflows, and everything up to its newline is
/// skipped without being stored, so no amount of input without a newline grows anything.
/// A trailing carriage return (CRLF) is dropped. Not thread-safe: one splitter per stream.
/// </summary>
public sealed class BoundedLineSplitter
{
    /// <summary>Receives each line; the span is only valid during the call.</summary>
    public delegate void LineHandler(ReadOnlySpan<byte> line, bool truncated);

    private readonly byte[] _line;
    private int _length;
    private bool _skipping;

    public BoundedLineSplitter(int maxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _line = new byte[maxLineBytes];
    }

    public int MaxLineBytes => _line.Length;

    /// <summary>Feeds <paramref name="data"/>; calls <paramref name="handler"/> for each line it completes or cuts.</summary>
    public void Append(ReadOnlySpan<byte> data, LineHandler handler)
    {
        while (!data.IsEmpty)
        {
            int newline = data.IndexOf((byte)'\n');
            ReadOnlySpan<byte> chunk = newline < 0 ? data : data[..newline];
            if (!_skipping)
            {
                int room = _line.Length - _length;
                if (chunk.Length > room)
                {
                    chunk[..room].CopyTo(_line.AsSpan(_length));
                    _length += room;
                    Emit(handler, truncated: true);
                    _skipping = true;
                }
                else
                {
                    chunk.CopyTo(_line.AsSpan(_length));
                    _length += chunk.Length;
                }
            }
            if (newline < 0)
            {
                return;
            }
            if (!_skipping)
            {
                Emit(handler, truncated: false);
            }
            _skipping = false;
            data = data[(newline + 1)..];
        }
    }

    /// <summary>The stream ended: a pending partial line is handed out.</summary>
    public void Finish(LineHandler handler)
    {
        if (_length > 0 && !_skipping)
        {
            Emit(handler, truncated: false);
        }
        _length = 0;
        _skipping = false;
    }

    private void Emit(LineHandler handler, bool truncated)
    {
        int length = _length;
        _length = 0;
        if (!truncated && length > 0 && _line[length - 1] == '\r')
        {
            length--;
        }
        handler(_line.AsSpan(0, length), truncated);
    }
}
