using System.Net.NetworkInformation;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// What the guest sees of a virtio-net device: its MAC address (config.mac) and, when set, the MTU it
/// should use (config.mtu with VIRTIO_NET_F_MTU; Linux then makes it the interface's MTU and its maximum).
/// </summary>
public sealed record NetOptions(PhysicalAddress Mac, ushort? Mtu = null)
{
    /// <summary>Linux's ETH_MIN_MTU: a smaller config.mtu makes the driver ignore it.</summary>
    public const ushort MinMtu = 68;

    /// <summary>Throws <see cref="NetDeviceException"/> naming the problem and the fix.</summary>
    public void Validate()
    {
        byte[] mac = Mac.GetAddressBytes();
        if (mac.Length != 6)
        {
            throw new NetDeviceException($"MAC address '{Mac}' has {mac.Length} bytes: give six, e.g. 02:00:00:00:00:01");
        }
        if ((mac[0] & 1) != 0 || mac.All(b => b == 0))
        {
            throw new NetDeviceException($"MAC address {Format(Mac)} is multicast or zero: give a unicast address (lowest bit of the first byte clear), e.g. 02:00:00:00:00:01");
        }
        if (Mtu is < MinMtu)
        {
            throw new NetDeviceException($"MTU {Mtu} is below {MinMtu}: give an MTU between {MinMtu} and {ushort.MaxValue} (usually the pod interface's, e.g. 1500)");
        }
    }

    /// <summary>A random locally administered unicast MAC (02:xx:xx:xx:xx:xx style), for a device given none.</summary>
    public static PhysicalAddress RandomMac()
    {
        byte[] mac = new byte[6];
        Random.Shared.NextBytes(mac);
        mac[0] = (byte)((mac[0] & 0xFC) | 0x02);
        return new PhysicalAddress(mac);
    }

    /// <summary>aa:bb:cc:dd:ee:ff (PhysicalAddress.ToString has no separators).</summary>
    public static string Format(PhysicalAddress mac) => string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2")));
}
