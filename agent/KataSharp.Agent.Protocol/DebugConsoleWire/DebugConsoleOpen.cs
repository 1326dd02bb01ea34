using System.Buffers.Binary;
using System.Text;

namespace KataSharp.Agent.Protocol.DebugConsoleWire;

/// <summary>
/// The host's first frame (<see cref="DebugConsoleFrameType.Open"/>): a flags byte (bit 0: run on a terminal), the
/// terminal's rows and columns (big-endian 16-bit; zero without a terminal), then the command for `sh -c` in UTF-8, or
/// nothing for an interactive shell.
/// </summary>
public sealed record DebugConsoleOpen(bool Terminal, ushort Rows, ushort Columns, string? Command)
{
    private const int FixedBytes = 5;
    private const byte TerminalFlag = 1;

    /// <summary>The longest command, in UTF-8 bytes: what fits one frame.</summary>
    public const int MaxCommandBytes = DebugConsoleFrame.MaxPayload - FixedBytes;

    public byte[] Encode()
    {
        byte[] command = Encoding.UTF8.GetBytes(Command ?? "");
        if (command.Length > MaxCommandBytes)
        {
            throw new ArgumentException($"the command is {command.Length} bytes of UTF-8; the debug console takes at most {MaxCommandBytes}");
        }
        byte[] payload = new byte[FixedBytes + command.Length];
        payload[0] = Terminal ? TerminalFlag : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(1), Rows);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(3), Columns);
        command.CopyTo(payload, FixedBytes);
        return DebugConsoleFrame.Encode(DebugConsoleFrameType.Open, payload);
    }

    public static DebugConsoleOpen Parse(DebugConsoleFrame frame)
    {
        if (frame.Type != DebugConsoleFrameType.Open)
        {
            throw new InvalidDataException($"debug console: the first frame must be {DebugConsoleFrameType.Open}, not {frame.Type}");
        }
        ReadOnlySpan<byte> payload = frame.Payload.Span;
        if (payload.Length < FixedBytes || (payload[0] & ~TerminalFlag) != 0)
        {
            throw new InvalidDataException("debug console: a malformed open frame");
        }
        string? command = null;
        if (payload.Length > FixedBytes)
        {
            try
            {
                command = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload[FixedBytes..]);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException("debug console: the command is not UTF-8");
            }
        }
        return new DebugConsoleOpen((payload[0] & TerminalFlag) != 0, BinaryPrimitives.ReadUInt16BigEndian(payload[1..]),
            BinaryPrimitives.ReadUInt16BigEndian(payload[3..]), command);
    }
}
