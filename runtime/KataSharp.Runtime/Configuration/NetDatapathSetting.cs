namespace KataSharp.Runtime.Configuration;

/// <summary>[hypervisor.katasharp] net_datapath: who moves the pod network's frames between the guest and the tap.</summary>
public enum NetDatapathSetting
{
    /// <summary>"userspace": the VMM's own virtio-net device (the default).</summary>
    Userspace,

    /// <summary>"vhost": the host kernel's vhost-net; a host without /dev/vhost-net fails the pod's start.</summary>
    Vhost,

    /// <summary>"auto": vhost-net when /dev/vhost-net can be opened, else userspace (one log line says why).</summary>
    Auto,
}
