using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Vmm.Kvm.Interop;
using static KataSharp.Vmm.Kvm.Interop.KvmIoctls;

namespace KataSharp.Vmm.Kvm;

/// <summary>
/// The open /dev/kvm: API version check, capability queries, the host's supported CPUID and MSR
/// list, and VM creation. Opening fails with a <see cref="KvmException"/> that says what to do.
/// </summary>
public sealed class KvmSystem : IDisposable
{
    public const string DefaultDevicePath = "/dev/kvm";

    /// <summary>Capabilities every KataSharp VM needs; <see cref="RequireCapabilities"/> checks them.</summary>
    public static readonly IReadOnlyList<KvmCapability> RequiredCapabilities =
    [
        KvmCapability.Irqchip, KvmCapability.UserMemory, KvmCapability.SetTssAddress,
        KvmCapability.SetIdentityMapAddress, KvmCapability.ExtendedCpuid, KvmCapability.Pit2,
        KvmCapability.IrqFd, KvmCapability.IoEventFd, KvmCapability.ImmediateExit,
    ];

    private readonly FileDescriptor _fd;

    private KvmSystem(FileDescriptor fd, string path)
    {
        _fd = fd;
        DevicePath = path;
    }

    public string DevicePath { get; }

    /// <summary>Opens /dev/kvm (or <paramref name="path"/>) and checks the API version.</summary>
    public static KvmSystem Open(string path = DefaultDevicePath)
    {
        FileDescriptor fd;
        try
        {
            fd = FileDescriptor.Open(path, (int)OpenFlags.ReadWrite);
        }
        catch (LinuxException e) when (e.Errno is Errno.ENOENT or Errno.ENODEV or Errno.ENXIO)
        {
            throw new KvmException(KvmError.DeviceMissing,
                $"{path} does not exist: this host offers no KVM. Load kvm_intel or kvm_amd (modprobe), enable " +
                "VT-x/AMD-V in the firmware, or run inside a VM with nested virtualization.", e);
        }
        catch (LinuxException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            throw new KvmException(KvmError.PermissionDenied,
                $"{path} exists but cannot be opened by this user: add the user to the 'kvm' group or run as root.", e);
        }

        var kvm = new KvmSystem(fd, path);
        int version;
        try
        {
            version = Ioctl.Invoke(fd, KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
        }
        catch (LinuxException e)
        {
            kvm.Dispose();
            throw new KvmException(KvmError.ApiVersionMismatch, $"{path} is not a KVM device: KVM_GET_API_VERSION failed ({e.Message}).", e);
        }
        if (version != KvmConstants.KVM_API_VERSION)
        {
            kvm.Dispose();
            throw new KvmException(KvmError.ApiVersionMismatch,
                $"{path} reports KVM API version {version}; KataSharp needs {KvmConstants.KVM_API_VERSION}. This is not a Linux KVM device.");
        }
        return kvm;
    }

    /// <summary>KVM_CHECK_EXTENSION: 0 when absent, otherwise 1 or a capability-specific number.</summary>
    public int CheckExtension(KvmCapability capability) =>
        Ioctl.Invoke(_fd, KVM_CHECK_EXTENSION, (ulong)capability, $"KVM_CHECK_EXTENSION({capability})");

    public bool HasCapability(KvmCapability capability) => CheckExtension(capability) > 0;

    /// <summary>Throws one error naming every missing capability.</summary>
    public void RequireCapabilities(IEnumerable<KvmCapability> capabilities)
    {
        string[] missing = capabilities.Where(c => !HasCapability(c)).Select(c => c.ToString()).ToArray();
        if (missing.Length > 0)
        {
            throw new KvmException(KvmError.CapabilityMissing,
                $"{DevicePath} lacks KVM capabilities KataSharp needs: {string.Join(", ", missing)}. " +
                "Use a newer host kernel (Linux 4.11 or later) with the in-kernel irqchip enabled.");
        }
    }

    /// <summary>Most vCPUs one VM may have (KVM_CAP_MAX_VCPUS, else the recommended count, else 4 as the API doc says).</summary>
    public int MaxVcpus
    {
        get
        {
            int max = CheckExtension(KvmCapability.MaxVcpus);
            if (max > 0)
            {
                return max;
            }
            int recommended = CheckExtension(KvmCapability.RecommendedVcpus);
            return recommended > 0 ? recommended : 4;
        }
    }

    /// <summary>Size of each vCPU's kvm_run mapping.</summary>
    public int VcpuMmapSize => Ioctl.Invoke(_fd, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");

    /// <summary>KVM_GET_SUPPORTED_CPUID: every leaf this host's KVM can offer a guest.</summary>
    public kvm_cpuid_entry2[] GetSupportedCpuid()
    {
        int capacity = KvmConstants.KVM_MAX_CPUID_ENTRIES;
        var buffer = new byte[Marshal.SizeOf<kvm_cpuid2>() + capacity * Marshal.SizeOf<kvm_cpuid_entry2>()];
        MemoryMarshal.Write(buffer, new kvm_cpuid2 { nent = (uint)capacity });
        Ioctl.Invoke(_fd, KVM_GET_SUPPORTED_CPUID, buffer, "KVM_GET_SUPPORTED_CPUID");
        var header = MemoryMarshal.Read<kvm_cpuid2>(buffer);
        return MemoryMarshal.Cast<byte, kvm_cpuid_entry2>(buffer.AsSpan(Marshal.SizeOf<kvm_cpuid2>()))[..(int)header.nent].ToArray();
    }

    /// <summary>KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores for a guest.</summary>
    public uint[] GetMsrIndexList()
    {
        int capacity = 256;
        while (true)
        {
            var buffer = new byte[sizeof(uint) * (1 + capacity)];
            MemoryMarshal.Write(buffer, new kvm_msr_list { nmsrs = (uint)capacity });
            try
            {
                Ioctl.Invoke(_fd, KVM_GET_MSR_INDEX_LIST, buffer, "KVM_GET_MSR_INDEX_LIST");
            }
            catch (LinuxException e) when (e.Errno == Errno.E2BIG && capacity < 65536)
            {
                // The kernel wrote the count it needs into nmsrs before failing.
                capacity = (int)Math.Max(MemoryMarshal.Read<kvm_msr_list>(buffer).nmsrs, (uint)capacity * 2);
                continue;
            }
            int n = (int)MemoryMarshal.Read<kvm_msr_list>(buffer).nmsrs;
            return MemoryMarshal.Cast<byte, uint>(buffer.AsSpan(sizeof(uint)))[..n].ToArray();
        }
    }

    /// <summary>KVM_CREATE_VM. Fails with a clear error when the host refuses (e.g. another hypervisor owns VT-x).</summary>
    public VmFd CreateVm()
    {
        int vm;
        try
        {
            vm = Ioctl.Invoke(_fd, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
        }
        catch (LinuxException e)
        {
            throw new KvmException(KvmError.CallFailed,
                $"{DevicePath} refused to create a VM ({e.Message}). Another hypervisor may own the virtualization " +
                "extensions, or the process hit its memory lock or file limits.", e);
        }
        return new VmFd(new FileDescriptor(vm), VcpuMmapSize);
    }

    public void Dispose() => _fd.Dispose();
}
