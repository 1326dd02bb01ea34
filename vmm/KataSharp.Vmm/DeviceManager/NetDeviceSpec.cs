using System.Net.NetworkInformation;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Vhost;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>
/// A virtio-net device on a tap. Give exactly one of <see cref="TapDescriptor"/> (a tap someone opened,
/// e.g. in a pod's network namespace, with TUNSETIFF IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) or
/// <see cref="TapName"/> (opened, or created, here in the VMM's own network namespace).
/// <see cref="Mac"/> is the guest interface's address; <see cref="Mtu"/>, when set, is offered to the
/// guest (VIRTIO_NET_F_MTU) and becomes its interface MTU.
/// </summary>
public sealed record NetDeviceSpec(string Name, PhysicalAddress Mac) : VirtioDeviceSpec(Name)
{
    /// <summary>An attached tap descriptor. <see cref="Create"/> takes ownership: the device closes it when
    /// disposed, and Create closes it when it fails.</summary>
    public FileDescriptor? TapDescriptor { get; init; }

    /// <summary>A tap interface name (at most 15 bytes) to open in the VMM's network namespace.</summary>
    public string? TapName { get; init; }

    /// <summary>The MTU offered to the guest (68-65535), or null to let the guest use its default (1500).</summary>
    public ushort? Mtu { get; init; }

    /// <summary>Who moves the frames: this process (default) or the host kernel's vhost-net.</summary>
    public NetDatapath Datapath { get; init; } = NetDatapath.Userspace;

    /// <summary>The vhost-net device node opened when <see cref="Datapath"/> is <see cref="NetDatapath.Vhost"/>.</summary>
    public string VhostDevicePath { get; init; } = VhostNet.DefaultDevicePath;

    /// <summary>The tap descriptor is ours once given: a spec never created closes it.</summary>
    public override void Abandon() => TapDescriptor?.Dispose();

    /// <summary>Opens or adopts the tap and creates the device; throws <see cref="NetDeviceException"/> naming the problem.</summary>
    public override VirtioDevice Create(EventLoop loop)
    {
        var options = new NetOptions(Mac, Mtu);
        INetBackend backend;
        try
        {
            if ((TapDescriptor is null) == (TapName is null))
            {
                throw new NetDeviceException($"net device '{Name}' needs exactly one of a tap descriptor and a tap name");
            }
            options.Validate();
            backend = TapDescriptor is { } descriptor ? TapBackend.Adopt(descriptor) : TapBackend.Open(TapName!);
        }
        catch
        {
            TapDescriptor?.Dispose();
            throw;
        }
        if (Datapath == NetDatapath.Userspace)
        {
            try
            {
                return new NetDevice(Name, options, backend, loop);
            }
            catch
            {
                backend.Dispose();
                throw;
            }
        }
        IVhostNet? vhost = null;
        try
        {
            try
            {
                vhost = VhostNet.Open(VhostDevicePath);
            }
            catch (LinuxException e)
            {
                throw new NetDeviceException($"net device '{Name}': net_datapath is vhost but {VhostDevicePath} cannot be opened: {e.Message}; load vhost_net (modprobe vhost_net) or choose the userspace data path", e);
            }
            return new VhostNetDevice(Name, options, backend, vhost, loop);
        }
        catch
        {
            vhost?.Dispose();
            backend.Dispose();
            throw;
        }
    }
}
