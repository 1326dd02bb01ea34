using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;

namespace KataSharp.Runtime.Tests.Network.Support;

/// <summary>
/// Just enough Ethernet/ARP/IPv4/UDP for a test to act as the guest behind a tap: parse what arrives, build
/// replies. Frames on a tap fd with IFF_VNET_HDR carry a 10-byte virtio_net_hdr first (all zero: no offload).
/// </summary>
public static class EthernetFrames
{
    public const int VnetHeader = 10;
    public const ushort Arp = 0x0806;
    public const ushort IPv4 = 0x0800;

    public static ushort EtherType(ReadOnlySpan<byte> frame) => frame.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) : (ushort)0;

    public static PhysicalAddress Source(ReadOnlySpan<byte> frame) => new(frame[6..12].ToArray());

    /// <summary>An ARP request's (sender MAC, sender IP, target IP), or null for anything else.</summary>
    public static (PhysicalAddress SenderMac, IPAddress SenderIp, IPAddress TargetIp)? ArpRequest(ReadOnlySpan<byte> frame)
    {
        if (EtherType(frame) != Arp || frame.Length < 42 || BinaryPrimitives.ReadUInt16BigEndian(frame[20..]) != 1)
        {
            return null;
        }
        return (new PhysicalAddress(frame[22..28].ToArray()), new IPAddress(frame[28..32]), new IPAddress(frame[38..42]));
    }

    public static byte[] ArpReply(PhysicalAddress ourMac, IPAddress ourIp, PhysicalAddress theirMac, IPAddress theirIp)
    {
        byte[] frame = new byte[42];
        Ethernet(frame, theirMac, ourMac, Arp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);      // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), IPv4);   // protocol: IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), 2);      // reply
        ourMac.GetAddressBytes().CopyTo(frame, 22);
        ourIp.GetAddressBytes().CopyTo(frame, 28);
        theirMac.GetAddressBytes().CopyTo(frame, 32);
        theirIp.GetAddressBytes().CopyTo(frame, 38);
        return frame;
    }

    /// <summary>A UDP datagram's (source IP, source port, destination port, payload), or null for anything else.</summary>
    public static (IPAddress Source, int SourcePort, int DestinationPort, byte[] Payload)? Udp(ReadOnlySpan<byte> frame)
    {
        if (EtherType(frame) != IPv4 || frame.Length < 42 || frame[23] != 17)
        {
            return null;
        }
        int ihl = (frame[14] & 0xF) * 4;
        int udp = 14 + ihl;
        if (frame.Length < udp + 8)
        {
            return null;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(frame[(udp + 4)..]);
        if (length < 8 || udp + length > frame.Length)
        {
            return null;
        }
        return (new IPAddress(frame[26..30]), BinaryPrimitives.ReadUInt16BigEndian(frame[udp..]), BinaryPrimitives.ReadUInt16BigEndian(frame[(udp + 2)..]),
            frame[(udp + 8)..(udp + length)].ToArray());
    }

    public static byte[] UdpDatagram(PhysicalAddress sourceMac, IPAddress source, int sourcePort, PhysicalAddress destinationMac, IPAddress destination,
        int destinationPort, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[14 + 20 + 8 + payload.Length];
        Ethernet(frame, destinationMac, sourceMac, IPv4);
        Span<byte> ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload.Length));
        ip[8] = 64;
        ip[9] = 17;
        source.GetAddressBytes().CopyTo(ip[12..]);
        destination.GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        Span<byte> udp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        payload.CopyTo(udp[8..]); // UDP checksum 0: none (allowed for IPv4)
        return frame;
    }

    /// <summary>The frame as written to a tap fd: a zeroed virtio_net_hdr in front.</summary>
    public static byte[] WithVnetHeader(byte[] frame)
    {
        byte[] bytes = new byte[VnetHeader + frame.Length];
        frame.CopyTo(bytes, VnetHeader);
        return bytes;
    }

    private static void Ethernet(Span<byte> frame, PhysicalAddress destination, PhysicalAddress source, ushort type)
    {
        destination.GetAddressBytes().CopyTo(frame);
        source.GetAddressBytes().CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], type);
    }

    private static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
