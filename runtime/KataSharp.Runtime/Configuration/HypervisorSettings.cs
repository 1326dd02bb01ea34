namespace KataSharp.Runtime.Configuration;

/// <summary>[hypervisor.katasharp]: the VM each pod gets.</summary>
public sealed record HypervisorSettings(
    string Kernel,
    string Initrd,
    int Vcpus,
    int MemoryMib,
    string KernelParams,
    int BootTimeoutSeconds,
    int BlockSlots);
