using System.Text;

namespace KataSharp.Vmm.Machine;

/// <summary>
/// The last bytes the guest wrote to its console, kept so an error message can show them and a
/// reset can be recognised as a panic. Fixed capacity: a chatty guest costs no extra memory.
/// </summary>
public sealed class ConsoleTail
{
    public const string PanicMarker = "Kernel panic - not syncing";

    private readonly object _gate = new();
    private readonly byte[] _ring;
    private long _written;

    public ConsoleTail(int capacity = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new byte[capacity];
    }

    /// <summary>Total bytes ever written.</summary>
    public long BytesWritten
    {
        get
        {
            lock (_gate)
            {
                return _written;
            }
        }
    }

    public void Append(byte b)
    {
        lock (_gate)
        {
            _ring[_written % _ring.Length] = b;
            _written++;
        }
    }

    /// <summary>The retained text (at most the capacity), oldest first.</summary>
    public string Text()
    {
        lock (_gate)
        {
            int length = (int)Math.Min(_written, _ring.Length);
            var bytes = new byte[length];
            long start = _written - length;
            for (int i = 0; i < length; i++)
            {
                bytes[i] = _ring[(start + i) % _ring.Length];
            }
            return Encoding.UTF8.GetString(bytes);
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of the retained text.</summary>
    public string LastLines(int lines)
    {
        string[] all = Text().Replace("\r", "").TrimEnd('\n').Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>The panic line ("Kernel panic - not syncing: ..."), if the guest printed one.</summary>
    public string? PanicLine()
    {
        string text = Text();
        int at = text.LastIndexOf(PanicMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        int end = text.IndexOf('\n', at);
        return text[at..(end < 0 ? text.Length : end)].TrimEnd('\r');
    }
}
