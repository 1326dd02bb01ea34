using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KataSharp.Linux.Netlink.Interop;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// Walks the netlink messages in one received datagram. nlmsg_len is checked against what is left
/// (at least the 16-byte header, at most the datagram), so a bad length ends the walk with
/// <see cref="InvalidDataException"/> instead of reading past the buffer or looping.
/// </summary>
internal ref struct NetlinkMessages
{
    private static readonly int HeaderSize = Unsafe.SizeOf<nlmsghdr>();
    private ReadOnlySpan<byte> _rest;

    public NetlinkMessages(ReadOnlySpan<byte> datagram) => _rest = datagram;

    public NetlinkMessage Current { get; private set; }

    public readonly NetlinkMessages GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.IsEmpty)
        {
            return false;
        }
        if (_rest.Length < HeaderSize)
        {
            throw new InvalidDataException($"netlink datagram ends with {_rest.Length} bytes, shorter than a message header");
        }
        nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(_rest);
        if (header.nlmsg_len < HeaderSize || header.nlmsg_len > _rest.Length)
        {
            throw new InvalidDataException($"netlink message type {header.nlmsg_type} claims {header.nlmsg_len} bytes, {_rest.Length} are left");
        }
        int length = (int)header.nlmsg_len;
        Current = new NetlinkMessage(header.nlmsg_type, header.nlmsg_flags, header.nlmsg_seq, _rest[HeaderSize..length]);
        int next = NetlinkMessageWriter.Align(length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }
}

/// <summary>One message: header fields and the payload after the nlmsghdr (family header + attributes).</summary>
internal readonly ref struct NetlinkMessage(ushort type, ushort flags, uint sequence, ReadOnlySpan<byte> payload)
{
    public ushort Type { get; } = type;

    public ushort Flags { get; } = flags;

    public uint Sequence { get; } = sequence;

    public ReadOnlySpan<byte> Payload { get; } = payload;

    /// <summary>The family header at the start of the payload; a payload too short for it is malformed.</summary>
    public T Header<T>() where T : unmanaged => ReadHeader<T>(Payload);

    /// <summary>The attributes after a family header of type <typeparamref name="T"/>.</summary>
    public NetlinkAttributes Attributes<T>() where T : unmanaged
    {
        int offset = NetlinkMessageWriter.Align(Unsafe.SizeOf<T>());
        return new NetlinkAttributes(offset >= Payload.Length ? default : Payload[offset..]);
    }

    public static T ReadHeader<T>(ReadOnlySpan<byte> payload) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (payload.Length < size)
        {
            throw new InvalidDataException($"netlink payload of {payload.Length} bytes is shorter than {typeof(T).Name} ({size})");
        }
        return MemoryMarshal.Read<T>(payload);
    }
}
