using System.Numerics;
using KataSharp.Vmm.Kvm.Interop;
using static KataSharp.Vmm.Kvm.Interop.KvmConstants;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// Turns KVM_GET_SUPPORTED_CPUID into what one vCPU reports: its APIC id, the hypervisor bit and
/// KVM signature (so Linux enables kvmclock and PV features), and a topology of one socket with
/// one thread per core and as many cores as vCPUs (leaves 1, 4, 0xB, 0x1F, 0x80000008).
/// </summary>
public static class GuestCpuid
{
    public const uint KvmSignatureLeaf = 0x4000_0000;
    public const uint KvmFeaturesLeaf = 0x4000_0001;

    // "KVMKVMKVM\0\0\0" as EBX, ECX, EDX.
    public const uint KvmSignatureEbx = 0x4B4D_564B;
    public const uint KvmSignatureEcx = 0x564B_4D56;
    public const uint KvmSignatureEdx = 0x0000_004D;

    public const uint Leaf1EcxTscDeadline = 1u << 24;
    public const uint Leaf1EcxHypervisor = 1u << 31;
    public const uint Leaf1EdxHtt = 1u << 28;

    private const uint TopologyLevelSmt = 1;
    private const uint TopologyLevelCore = 2;

    /// <summary>The CPUID table for vCPU <paramref name="apicId"/> of <paramref name="vcpuCount"/>.</summary>
    public static kvm_cpuid_entry2[] ForVcpu(IReadOnlyList<kvm_cpuid_entry2> supported, int apicId, int vcpuCount, bool tscDeadline)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(apicId);
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpuCount, 1);
        int coreShift = vcpuCount == 1 ? 0 : BitOperations.Log2((uint)vcpuCount - 1) + 1;
        bool amd = IsAmd(supported);

        var result = new List<kvm_cpuid_entry2>();
        foreach (kvm_cpuid_entry2 original in supported)
        {
            kvm_cpuid_entry2 e = original;
            switch (e.function)
            {
                case 0x1:
                    e.ebx = (e.ebx & 0x0000_00FF) | (8u << 8) | ((uint)Math.Min(vcpuCount, 255) << 16) | ((uint)apicId << 24);
                    e.ecx |= Leaf1EcxHypervisor;
                    e.ecx = tscDeadline ? e.ecx | Leaf1EcxTscDeadline : e.ecx & ~Leaf1EcxTscDeadline;
                    e.edx = vcpuCount > 1 ? e.edx | Leaf1EdxHtt : e.edx & ~Leaf1EdxHtt;
                    break;
                case 0x4:
                    e.eax = CacheLeaf(e.eax, vcpuCount);
                    break;
                case 0xB:
                case 0x1F:
                    continue; // rebuilt below, one entry per level
                case KvmSignatureLeaf:
                    e.eax = Math.Max(e.eax, KvmFeaturesLeaf);
                    e.ebx = KvmSignatureEbx;
                    e.ecx = KvmSignatureEcx;
                    e.edx = KvmSignatureEdx;
                    break;
                case 0x8000_0008 when amd:
                    // NC (cores - 1) and ApicIdSize: the core count Linux reads on AMD without TOPOEXT.
                    e.ecx = (e.ecx & ~0xF0FFu) | (uint)(vcpuCount - 1) | ((uint)coreShift << 12);
                    break;
            }
            result.Add(e);
        }
        if (!result.Any(e => e.function == KvmSignatureLeaf))
        {
            result.Add(new kvm_cpuid_entry2
            {
                function = KvmSignatureLeaf, eax = KvmFeaturesLeaf,
                ebx = KvmSignatureEbx, ecx = KvmSignatureEcx, edx = KvmSignatureEdx,
            });
        }
        foreach (uint leaf in new uint[] { 0xB, 0x1F })
        {
            if (supported.Any(e => e.function == leaf))
            {
                result.AddRange(TopologyLeaf(leaf, apicId, vcpuCount, coreShift));
            }
        }
        return result.ToArray();
    }

    /// <summary>Leaf 0xB/0x1F: SMT level (1 thread per core), core level (all vCPUs), then the terminator.</summary>
    private static IEnumerable<kvm_cpuid_entry2> TopologyLeaf(uint leaf, int apicId, int vcpuCount, int coreShift)
    {
        kvm_cpuid_entry2 Level(uint subleaf, uint shift, uint count, uint type) => new()
        {
            function = leaf,
            index = subleaf,
            flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
            eax = shift,
            ebx = count,
            ecx = subleaf | (type << 8),
            edx = (uint)apicId,
        };
        yield return Level(0, 0, 1, TopologyLevelSmt);
        yield return Level(1, (uint)coreShift, (uint)vcpuCount, TopologyLevelCore);
        yield return Level(2, 0, 0, 0);
    }

    /// <summary>Leaf 4 EAX: cores per package in 31:26; threads sharing the cache in 25:14 (1 for L1/L2, all for L3).</summary>
    private static uint CacheLeaf(uint eax, int vcpuCount)
    {
        if ((eax & 0x1F) == 0)
        {
            return eax; // cache type 0: the end of the list
        }
        uint level = (eax >> 5) & 0x7;
        uint sharing = level >= 3 ? (uint)vcpuCount - 1 : 0;
        return (eax & 0x3FFF) | ((sharing & 0xFFF) << 14) | (((uint)vcpuCount - 1 & 0x3F) << 26);
    }

    private static bool IsAmd(IReadOnlyList<kvm_cpuid_entry2> supported) =>
        supported.Any(e => e.function == 0 && e.ebx == 0x6874_7541); // "Auth" of AuthenticAMD
}
