using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using KataSharp.Linux.Netlink.Interop;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// Builds one netlink request: the 16-byte nlmsghdr, a family header (ifinfomsg, rtmsg, tcmsg...) and
/// rtattr TLVs, each padded to 4 bytes (NLA_ALIGN), nests closed by patching their length. Requests are
/// tiny; <see cref="MaxSize"/> bounds a runaway caller.
/// </summary>
internal sealed class NetlinkMessageWriter
{
    public const int MaxSize = 16 * 1024;
    private static readonly int HeaderSize = Unsafe.SizeOf<nlmsghdr>();
    private static readonly int AttributeHeaderSize = Unsafe.SizeOf<rtattr>();

    private byte[] _buffer = new byte[256];
    private int _length;

    public NetlinkMessageWriter(int type, int flags)
    {
        Type = (ushort)type;
        Flags = (ushort)(flags | NLM_F_REQUEST);
        _length = HeaderSize;
    }

    public ushort Type { get; }

    public ushort Flags { get; }

    /// <summary>Appends the family header struct (exactly as the kernel lays it out).</summary>
    public NetlinkMessageWriter Header<T>(in T header) where T : unmanaged
    {
        Append(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in header)));
        return this;
    }

    public NetlinkMessageWriter Attribute(int type, ReadOnlySpan<byte> payload)
    {
        int total = AttributeHeaderSize + payload.Length;
        if (total > ushort.MaxValue)
        {
            throw new ArgumentException($"netlink attribute {type} payload of {payload.Length} bytes does not fit rta_len", nameof(payload));
        }
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)total);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], (ushort)type);
        Append(header);
        Append(payload);
        return this;
    }

    public NetlinkMessageWriter AttributeU32(int type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Attribute(type, bytes);
    }

    /// <summary>A NUL-terminated string attribute (IFLA_IFNAME, TCA_KIND...).</summary>
    public NetlinkMessageWriter AttributeString(int type, string value)
    {
        if (value.Contains('\0'))
        {
            throw new ArgumentException($"netlink string attribute {type} contains a NUL character", nameof(value));
        }
        return Attribute(type, Encoding.UTF8.GetBytes(value + "\0"));
    }

    public NetlinkMessageWriter AttributeStruct<T>(int type, in T value) where T : unmanaged =>
        Attribute(type, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>Opens a nested attribute; close it with <see cref="EndNested"/> (its length is patched then).
    /// <paramref name="flagged"/> sets NLA_F_NESTED, which newer attributes (TCA_ACT_OPTIONS) require and
    /// older ones are sent without by iproute2; requests here carry the flags iproute2 sends.</summary>
    public int BeginNested(int type, bool flagged = false)
    {
        int start = _length;
        Attribute(flagged ? type | NLA_F_NESTED : type, []);
        return start;
    }

    public NetlinkMessageWriter EndNested(int start)
    {
        int length = _length - start;
        if (start < HeaderSize || start + AttributeHeaderSize > _length || length > ushort.MaxValue)
        {
            throw new InvalidOperationException("netlink nest closed out of order");
        }
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)length);
        return this;
    }

    /// <summary>The finished message with nlmsg_len, type, flags and <paramref name="sequence"/> filled in.</summary>
    public byte[] ToArray(uint sequence)
    {
        byte[] message = _buffer.AsSpan(0, _length).ToArray();
        var header = new nlmsghdr { nlmsg_len = (uint)_length, nlmsg_type = Type, nlmsg_flags = Flags, nlmsg_seq = sequence, nlmsg_pid = 0 };
        MemoryMarshal.Write(message, in header);
        return message;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        int padded = Align(bytes.Length);
        if (_length + padded > MaxSize)
        {
            throw new InvalidOperationException($"netlink request {Type} would exceed {MaxSize} bytes");
        }
        if (_length + padded > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(MaxSize, Math.Max(_buffer.Length * 2, _length + padded)));
        }
        bytes.CopyTo(_buffer.AsSpan(_length));
        _buffer.AsSpan(_length + bytes.Length, padded - bytes.Length).Clear();
        _length += padded;
    }

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: round up to 4 bytes.</summary>
    public static int Align(int length) => (length + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}
