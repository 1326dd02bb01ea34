using System.Buffers.Binary;

namespace KataSharp.Agent.Protocol.DebugConsoleWire;

/// <summary>
/// One frame of the debug console's wire (guest vsock port <see cref="AgentProtocolConstants.DebugConsolePort"/>), both
/// ways: a type byte, a big-endian 16-bit payload length, the payload. Framed rather than a raw byte stream so that
/// resizes travel beside the input, stdout and stderr stay apart without a terminal, and the exit code comes back;
/// a small fixed cap keeps what either end buffers for a frame bounded.
/// </summary>
public readonly record struct DebugConsoleFrame(DebugConsoleFrameType Type, ReadOnlyMemory<byte> Payload)
{
    public const int HeaderBytes = 3;

    /// <summary>The largest payload either end sends or accepts.</summary>
    public const int MaxPayload = 16 << 10;

    /// <summary>The frame as bytes on the wire; a payload over <see cref="MaxPayload"/> is the caller's bug.</summary>
    public static byte[] Encode(DebugConsoleFrameType type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), $"a debug-console frame carries at most {MaxPayload} bytes, not {payload.Length}");
        }
        byte[] frame = new byte[HeaderBytes + payload.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), (ushort)payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    public static byte[] Resize(ushort rows, ushort columns)
    {
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(size, rows);
        BinaryPrimitives.WriteUInt16BigEndian(size[2..], columns);
        return Encode(DebugConsoleFrameType.Resize, size);
    }

    public static byte[] Exit(int code)
    {
        Span<byte> status = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(status, code);
        return Encode(DebugConsoleFrameType.Exit, status);
    }

    /// <summary>A <see cref="DebugConsoleFrameType.Resize"/> frame's rows and columns.</summary>
    public (ushort Rows, ushort Columns) ReadSize() =>
        Payload.Length == 4
            ? (BinaryPrimitives.ReadUInt16BigEndian(Payload.Span), BinaryPrimitives.ReadUInt16BigEndian(Payload.Span[2..]))
            : throw new InvalidDataException($"a debug-console resize frame carries 4 bytes, not {Payload.Length}");

    /// <summary>An <see cref="DebugConsoleFrameType.Exit"/> frame's code.</summary>
    public int ReadExitCode() =>
        Payload.Length == 4
            ? BinaryPrimitives.ReadInt32BigEndian(Payload.Span)
            : throw new InvalidDataException($"a debug-console exit frame carries 4 bytes, not {Payload.Length}");
}
