using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The pod's VM size: the VM's own vCPUs and memory from the configuration plus what the pod's
/// containers may use in total (Kata's static sandbox resource management: there is no hotplug, so the
/// VM is made big enough at boot). Bounded by max_vcpus / max_memory_mib: a pod over them does not start.
/// </summary>
public static class VmSizing
{
    public static HypervisorSettings For(HypervisorSettings hypervisor, PodResources pod, string configurationSource)
    {
        int vcpus = hypervisor.Vcpus + pod.Cpus;
        long memoryMib = (long)hypervisor.MemoryMib + pod.MemoryMib;
        if (vcpus > hypervisor.MaxVcpus)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument,
                $"the pod's CPU limit needs {pod.Cpus} vCPUs ({PodResources.CpuQuotaAnnotation}/{PodResources.CpuPeriodAnnotation}) + vcpus {hypervisor.Vcpus} = {vcpus}, " +
                $"more than [hypervisor.katasharp] max_vcpus = {hypervisor.MaxVcpus} in {configurationSource}");
        }
        if (memoryMib > hypervisor.MaxMemoryMib)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument,
                $"the pod's memory limit of {pod.MemoryMib} MiB ({PodResources.MemoryAnnotation}) + memory_mib {hypervisor.MemoryMib} = {memoryMib} MiB " +
                $"is more than [hypervisor.katasharp] max_memory_mib = {hypervisor.MaxMemoryMib} in {configurationSource}");
        }
        return hypervisor with { Vcpus = vcpus, MemoryMib = (int)memoryMib };
    }

    /// <summary>A container whose memory limit the VM cannot hold is refused, naming both numbers.</summary>
    public static void RequireFits(string containerId, long? containerMemoryLimitBytes, HypervisorSettings sized)
    {
        if (containerMemoryLimitBytes is not > 0)
        {
            return;
        }
        long limitMib = (containerMemoryLimitBytes.Value + (1 << 20) - 1) >> 20;
        if (limitMib > sized.MemoryMib)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument,
                $"container {containerId}: its memory limit of {limitMib} MiB (linux.resources.memory.limit) is more than the pod VM's {sized.MemoryMib} MiB; " +
                $"raise [hypervisor.katasharp] memory_mib, or give the pod the limit at creation (Kubernetes passes {PodResources.MemoryAnnotation})");
        }
    }
}
