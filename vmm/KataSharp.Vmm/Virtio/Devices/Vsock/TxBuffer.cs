using System.Buffers;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// Guest data accepted for a host socket that was not ready for it: a FIFO of pooled chunks with a hard
/// capacity (the credit we advertised), so a host that stops reading holds the guest back instead of
/// growing our memory. Chunks go back to the pool as soon as they are drained.
/// </summary>
public sealed class TxBuffer : IDisposable
{
    private const int ChunkSize = 16 * 1024;

    private readonly Queue<Chunk> _chunks = new();
    private readonly int _capacity;
    private Chunk? _tail;

    public TxBuffer(int capacity) => _capacity = capacity;

    /// <summary>Bytes held.</summary>
    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    /// <summary>Room left before the capacity.</summary>
    public int Free => _capacity - Count;

    /// <summary>Appends all of <paramref name="data"/>; false (and nothing appended) when it would exceed the capacity.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> data)
    {
        if (data.Length > Free)
        {
            return false;
        }
        while (!data.IsEmpty)
        {
            Chunk? tail = _tail;
            if (tail is null || tail.End == tail.Bytes.Length)
            {
                tail = new Chunk(ArrayPool<byte>.Shared.Rent(ChunkSize));
                _chunks.Enqueue(tail);
                _tail = tail;
            }
            int n = Math.Min(data.Length, tail.Bytes.Length - tail.End);
            data[..n].CopyTo(tail.Bytes.AsSpan(tail.End));
            tail.End += n;
            Count += n;
            data = data[n..];
        }
        return true;
    }

    /// <summary>The oldest contiguous bytes (empty when nothing is held).</summary>
    public ReadOnlySpan<byte> Peek() =>
        _chunks.TryPeek(out Chunk? head) ? head.Bytes.AsSpan(head.Start, head.End - head.Start) : ReadOnlySpan<byte>.Empty;

    /// <summary>Drops <paramref name="count"/> bytes from the front (after they were sent).</summary>
    public void Consume(int count)
    {
        while (count > 0 && _chunks.TryPeek(out Chunk? head))
        {
            int n = Math.Min(count, head.End - head.Start);
            head.Start += n;
            Count -= n;
            count -= n;
            if (head.Start == head.End)
            {
                ArrayPool<byte>.Shared.Return(_chunks.Dequeue().Bytes);
                if (_chunks.Count == 0)
                {
                    _tail = null;
                }
            }
        }
    }

    public void Dispose() => Consume(Count);

    private sealed class Chunk(byte[] bytes)
    {
        public byte[] Bytes { get; } = bytes;

        public int Start { get; set; }

        public int End { get; set; }
    }
}
