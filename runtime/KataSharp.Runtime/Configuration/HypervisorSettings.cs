namespace KataSharp.Runtime.Configuration;

/// <summary>[hypervisor.katasharp]: the VM each pod gets.</summary>
/// <param name="Vcpus">The VM's own vCPUs; a pod's CPU limit (CRI sandbox annotations) is added to them.</param>
/// <param name="MemoryMib">The VM's own memory (kernel, agent, page cache); a pod's memory limit is added to it.</param>
/// <param name="MaxVcpus">No pod's VM gets more vCPUs than this.</param>
/// <param name="MaxMemoryMib">No pod's VM gets more memory than this.</param>
/// <param name="NetDatapath">Who moves the pod network's frames: the VMM (userspace) or the host kernel (vhost-net).</param>
public sealed record HypervisorSettings(
    string Kernel,
    string Initrd,
    int Vcpus,
    int MemoryMib,
    string KernelParams,
    int BootTimeoutSeconds,
    int BlockSlots,
    int MaxVcpus = 8,
    int MaxMemoryMib = 8192,
    NetDatapathSetting NetDatapath = NetDatapathSetting.Userspace);
