using System.Buffers;

namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// Frames over one connected stream: a single reader, and writers serialized by a lock so
/// concurrent responses never interleave their bytes.
/// </summary>
public sealed class TtrpcChannel : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _readHeader = new byte[TtrpcFrameHeader.Size];

    public TtrpcChannel(Stream stream) => _stream = stream;

    /// <summary>Reads the next frame; null at a clean end of stream between frames.</summary>
    public async Task<TtrpcFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        int got = await _stream.ReadAtLeastAsync(_readHeader, TtrpcFrameHeader.Size, throwOnEndOfStream: false, cancellationToken);
        if (got == 0)
        {
            return null;
        }
        if (got < TtrpcFrameHeader.Size)
        {
            throw new EndOfStreamException($"connection closed inside a ttrpc header ({got} of {TtrpcFrameHeader.Size} bytes)");
        }
        var header = TtrpcFrameHeader.Parse(_readHeader);
        if (header.IsOversized)
        {
            await DiscardAsync(header.Length, cancellationToken);
            return new TtrpcFrame(header, []);
        }
        byte[] payload = new byte[header.Length];
        await _stream.ReadExactlyAsync(payload, cancellationToken);
        return new TtrpcFrame(header, payload);
    }

    public async Task WriteFrameAsync(uint streamId, TtrpcMessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if ((uint)payload.Length > TtrpcFrameHeader.MaxMessageLength)
        {
            throw new TtrpcException(TtrpcStatusCode.ResourceExhausted,
                $"ttrpc message of {payload.Length} bytes exceeds the maximum of {TtrpcFrameHeader.MaxMessageLength}");
        }
        byte[] frame = ArrayPool<byte>.Shared.Rent(TtrpcFrameHeader.Size + payload.Length);
        try
        {
            new TtrpcFrameHeader((uint)payload.Length, streamId, type, TtrpcFlags.None).WriteTo(frame);
            payload.Span.CopyTo(frame.AsSpan(TtrpcFrameHeader.Size));
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                await _stream.WriteAsync(frame.AsMemory(0, TtrpcFrameHeader.Size + payload.Length), cancellationToken);
                await _stream.FlushAsync(cancellationToken);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private async Task DiscardAsync(uint length, CancellationToken cancellationToken)
    {
        byte[] sink = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long left = length;
            while (left > 0)
            {
                int n = await _stream.ReadAsync(sink.AsMemory(0, (int)Math.Min(left, sink.Length)), cancellationToken);
                if (n == 0)
                {
                    throw new EndOfStreamException($"connection closed inside an oversized ttrpc frame ({left} bytes missing)");
                }
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _writeLock.Dispose();
    }
}
