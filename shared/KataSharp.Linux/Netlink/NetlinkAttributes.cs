using System.Buffers.Binary;
using System.Text;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// Walks the rtattr TLVs of a payload without trusting them: every rta_len is checked against the bytes
/// that are left (a short or overlong attribute ends the walk with <see cref="InvalidDataException"/>).
/// The type has NLA_F_NESTED / NLA_F_NET_BYTEORDER masked off.
/// </summary>
internal ref struct NetlinkAttributes
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkAttributes(ReadOnlySpan<byte> attributes) => _rest = attributes;

    public NetlinkAttribute Current { get; private set; }

    public readonly NetlinkAttributes GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.Length < 4)
        {
            // Trailing bytes shorter than an attribute header are alignment padding at most.
            if (_rest.Length != 0 && _rest.IndexOfAnyExcept((byte)0) >= 0)
            {
                throw new InvalidDataException($"netlink attribute list ends with {_rest.Length} stray bytes");
            }
            _rest = default;
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
        int type = BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]);
        if (length < 4 || length > _rest.Length)
        {
            throw new InvalidDataException($"netlink attribute {type & NLA_TYPE_MASK} claims {length} bytes, {_rest.Length} are left");
        }
        Current = new NetlinkAttribute(type & NLA_TYPE_MASK, _rest[4..length]);
        int next = NetlinkMessageWriter.Align(length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }

    public static uint U32(ReadOnlySpan<byte> payload, int type) =>
        payload.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(payload)
            : throw new InvalidDataException($"netlink attribute {type} has {payload.Length} bytes, a u32 needs 4");

    /// <summary>A NUL-terminated (or unterminated) string attribute, at most <paramref name="maxLength"/> bytes.</summary>
    public static string String(ReadOnlySpan<byte> payload, int maxLength = 256)
    {
        int end = payload.IndexOf((byte)0);
        ReadOnlySpan<byte> text = end >= 0 ? payload[..end] : payload;
        if (text.Length > maxLength)
        {
            throw new InvalidDataException($"netlink string attribute of {text.Length} bytes exceeds {maxLength}");
        }
        return Encoding.UTF8.GetString(text);
    }
}

/// <summary>One attribute: its type (flags masked off) and payload (the bytes after rta_len/rta_type).</summary>
internal readonly ref struct NetlinkAttribute(int type, ReadOnlySpan<byte> payload)
{
    public int Type { get; } = type;

    public ReadOnlySpan<byte> Payload { get; } = payload;

    public uint U32 => NetlinkAttributes.U32(Payload, Type);

    public string String => NetlinkAttributes.String(Payload);

    public NetlinkAttributes Nested => new(Payload);
}
