using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Kvm.Interop;
using Xunit;

namespace KataSharp.Vmm.Tests.Arch;

public sealed class GuestCpuidTests
{
    private static readonly kvm_cpuid_entry2[] Supported =
    [
        new() { function = 0, eax = 0x1F, ebx = 0x756E6547 },        // GenuineIntel
        new() { function = 1, eax = 0x806F8, ebx = 0x00FF_0A11, ecx = 0x0000_0001, edx = 1u << 28 },
        new() { function = 4, index = 0, eax = (1 << 5) | 1 },       // L1 data
        new() { function = 4, index = 1, eax = (3 << 5) | 3 },       // L3 unified
        new() { function = 0xB, index = 0, flags = 1, eax = 1, ebx = 2, ecx = 0x100 },
        new() { function = 0x4000_0000, eax = 0x4000_0001, ebx = 0x4B4D564B, ecx = 0x564B4D56, edx = 0x4D },
    ];

    [Fact]
    public void Leaf_1_carries_the_APIC_id_the_hypervisor_bit_and_the_core_count()
    {
        kvm_cpuid_entry2 leaf1 = GuestCpuid.ForVcpu(Supported, apicId: 3, vcpuCount: 4, tscDeadline: true).Single(e => e.function == 1);
        Assert.Equal(3u, leaf1.ebx >> 24);
        Assert.Equal(4u, (leaf1.ebx >> 16) & 0xFF);
        Assert.Equal(0x11u, leaf1.ebx & 0xFF);
        Assert.NotEqual(0u, leaf1.ecx & GuestCpuid.Leaf1EcxHypervisor);
        Assert.NotEqual(0u, leaf1.ecx & GuestCpuid.Leaf1EcxTscDeadline);
        Assert.NotEqual(0u, leaf1.edx & GuestCpuid.Leaf1EdxHtt);

        kvm_cpuid_entry2 single = GuestCpuid.ForVcpu(Supported, 0, 1, tscDeadline: false).Single(e => e.function == 1);
        Assert.Equal(0u, single.ecx & GuestCpuid.Leaf1EcxTscDeadline);
        Assert.Equal(0u, single.edx & GuestCpuid.Leaf1EdxHtt);
    }

    [Fact]
    public void Leaf_0xB_describes_one_thread_per_core_and_every_vcpu_as_a_core()
    {
        kvm_cpuid_entry2[] topology = GuestCpuid.ForVcpu(Supported, apicId: 5, vcpuCount: 6, tscDeadline: false)
            .Where(e => e.function == 0xB).OrderBy(e => e.index).ToArray();
        Assert.Equal(3, topology.Length);
        Assert.Equal((0u, 1u, 0x100u, 5u), (topology[0].eax, topology[0].ebx, topology[0].ecx, topology[0].edx));
        Assert.Equal((3u, 6u, 0x201u, 5u), (topology[1].eax, topology[1].ebx, topology[1].ecx, topology[1].edx));
        Assert.Equal((0u, 0u, 2u), (topology[2].eax, topology[2].ebx, topology[2].ecx));
        Assert.All(topology, e => Assert.Equal(KvmConstants.KVM_CPUID_FLAG_SIGNIFCANT_INDEX, e.flags));
    }

    [Fact]
    public void Leaf_4_reports_the_core_count_and_L3_sharing()
    {
        kvm_cpuid_entry2[] caches = GuestCpuid.ForVcpu(Supported, 0, 4, false).Where(e => e.function == 4).OrderBy(e => e.index).ToArray();
        Assert.Equal(3u, caches[0].eax >> 26);
        Assert.Equal(0u, (caches[0].eax >> 14) & 0xFFF);
        Assert.Equal(3u, (caches[1].eax >> 14) & 0xFFF);
    }

    [Fact]
    public void The_KVM_signature_leaf_is_present_even_when_KVM_did_not_list_it()
    {
        kvm_cpuid_entry2 signature = GuestCpuid.ForVcpu(Supported.Where(e => e.function != 0x4000_0000).ToArray(), 0, 1, false)
            .Single(e => e.function == GuestCpuid.KvmSignatureLeaf);
        Assert.Equal("KVMKVMKVM\0\0\0", System.Text.Encoding.ASCII.GetString(
            [.. BitConverter.GetBytes(signature.ebx), .. BitConverter.GetBytes(signature.ecx), .. BitConverter.GetBytes(signature.edx)]));
        Assert.True(signature.eax >= GuestCpuid.KvmFeaturesLeaf);
    }
}
