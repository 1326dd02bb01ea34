using KataSharp.Linux;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Vhost;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;
using Xunit;

namespace KataSharp.Vmm.Tests.Vhost;

/// <summary>
/// <see cref="VhostNet"/> against the real /dev/vhost-net (skipped without it): the request numbers and argument
/// layouts are the kernel's if it accepts them, and refuses what it must. Not run on the development machine (no
/// vhost_net module); the L1 test host loads vhost_net.
/// </summary>
public sealed class VhostNetKernelTests
{
    [VhostFact]
    public void The_kernel_takes_the_owner_features_memory_table_and_a_ring()
    {
        using VhostNet vhost = VhostNet.Open();
        vhost.SetOwner();
        ulong features = vhost.GetFeatures();
        Assert.Equal(VhostNetDevice.RingFeatures, features & VhostNetDevice.RingFeatures);
        vhost.SetFeatures(VirtioFeatures.Version1 | NetFeatures.MrgRxbuf);
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 16 << 20), (new GuestAddress(32 << 20), 8 << 20)]);
        vhost.SetMemoryTable(VhostNetDevice.MemoryTable(memory));
        GuestMemoryRegion low = memory.Regions[0];
        vhost.SetVringNum(0, 256);
        vhost.SetVringBase(0, 7);
        vhost.SetVringAddresses(0, new VhostRingAddresses(low.HostAddress + 0x10000, low.HostAddress + 0x20000, low.HostAddress + 0x30000));
        Assert.Equal(7, vhost.GetVringBase(0));
        vhost.SetBackend(0, null);
    }

    [VhostFact]
    public void The_kernel_refuses_a_second_owner_and_a_misaligned_used_ring()
    {
        using VhostNet vhost = VhostNet.Open();
        vhost.SetOwner();
        Assert.Equal(Errno.EBUSY, Assert.Throws<LinuxException>(vhost.SetOwner).Errno);
        var e = Assert.Throws<LinuxException>(() => vhost.SetVringAddresses(0, new VhostRingAddresses(0x10000, 0x20000, 0x30001)));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("VHOST_SET_VRING_ADDR", e.Message);
    }
}
