using System.Buffers.Binary;

namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// The 10-byte header in front of every ttrpc message, big-endian: data length (4), stream id
/// (4), message type (1), flags (1). The length excludes the header itself.
/// </summary>
public readonly record struct TtrpcFrameHeader(uint Length, uint StreamId, TtrpcMessageType Type, TtrpcFlags Flags)
{
    public const int Size = 10;

    /// <summary>ttrpc's messageLengthMax (4 MiB): larger frames are refused with RESOURCE_EXHAUSTED.</summary>
    public const uint MaxMessageLength = 4u << 20;

    public bool IsOversized => Length > MaxMessageLength;

    public static TtrpcFrameHeader Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size)
        {
            throw new ArgumentException($"a ttrpc header is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }
        return new TtrpcFrameHeader(
            BinaryPrimitives.ReadUInt32BigEndian(bytes),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]),
            (TtrpcMessageType)bytes[8],
            (TtrpcFlags)bytes[9]);
    }

    public void WriteTo(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32BigEndian(bytes, Length);
        BinaryPrimitives.WriteUInt32BigEndian(bytes[4..], StreamId);
        bytes[8] = (byte)Type;
        bytes[9] = (byte)Flags;
    }
}
