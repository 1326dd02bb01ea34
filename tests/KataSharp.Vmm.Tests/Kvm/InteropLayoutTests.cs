using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Kvm;

/// <summary>
/// Every struct, constant and ioctl number that crosses into the kernel, checked against the
/// C headers: the test writes a C file of _Static_asserts from the C# definitions (by reflection,
/// so a new field is checked without editing this test) and compiles it with gcc against
/// &lt;linux/kvm.h&gt; and &lt;asm/bootparam.h&gt; (linux-libc-dev). A mismatch fails with gcc's list.
/// </summary>
public sealed class InteropLayoutTests
{
    private static readonly string[] Headers = ["linux/kvm.h", "asm/bootparam.h"];

    /// <summary>Structs described only partially in C# (the kernel's is longer): no sizeof check.</summary>
    private static readonly HashSet<Type> Prefixes = [typeof(kvm_run)];

    private static readonly Type[] Structs =
    [
        typeof(kvm_regs), typeof(kvm_segment), typeof(kvm_dtable), typeof(kvm_sregs), typeof(kvm_fpu),
        typeof(kvm_msr_entry), typeof(kvm_msrs), typeof(kvm_msr_list), typeof(kvm_cpuid_entry2), typeof(kvm_cpuid2),
        typeof(kvm_lapic_state), typeof(kvm_userspace_memory_region), typeof(kvm_irq_level), typeof(kvm_irqfd),
        typeof(kvm_ioeventfd), typeof(kvm_pit_config), typeof(kvm_signal_mask), typeof(kvm_run),
    ];

    [Fact]
    public void Every_interop_struct_field_matches_the_kernel_headers()
    {
        var c = new CHeaderAssertions(Headers);
        foreach (Type type in Structs)
        {
            c.Struct(type, prefixOnly: Prefixes.Contains(type));
        }
        c.Compile();
    }

    [Fact]
    public void Every_kvm_constant_and_ioctl_number_matches_the_kernel_headers()
    {
        var c = new CHeaderAssertions(Headers);
        c.Constants(typeof(KvmConstants), except: "KVM_MAX_CPUID_ENTRIES"); // a kernel-internal limit, not in the uapi header
        c.Constants(typeof(KvmIoctls));
        c.Compile();
    }

    [Fact]
    public void Boot_params_offsets_match_the_kernel_headers()
    {
        var c = new CHeaderAssertions(Headers);
        (string Path, int Offset)[] fields =
        [
            ("ext_ramdisk_image", BootParamsLayout.ExtRamdiskImage),
            ("ext_ramdisk_size", BootParamsLayout.ExtRamdiskSize),
            ("ext_cmd_line_ptr", BootParamsLayout.ExtCmdLinePtr),
            ("e820_entries", BootParamsLayout.E820EntryCount),
            ("sentinel", BootParamsLayout.Sentinel),
            ("hdr", BootParamsLayout.SetupHeader),
            ("hdr.setup_sects", BootParamsLayout.SetupSects),
            ("hdr.boot_flag", BootParamsLayout.BootFlag),
            ("hdr.jump", BootParamsLayout.Jump),
            ("hdr.header", BootParamsLayout.Header),
            ("hdr.version", BootParamsLayout.Version),
            ("hdr.type_of_loader", BootParamsLayout.TypeOfLoader),
            ("hdr.loadflags", BootParamsLayout.LoadFlags),
            ("hdr.code32_start", BootParamsLayout.Code32Start),
            ("hdr.ramdisk_image", BootParamsLayout.RamdiskImage),
            ("hdr.ramdisk_size", BootParamsLayout.RamdiskSize),
            ("hdr.heap_end_ptr", BootParamsLayout.HeapEndPtr),
            ("hdr.cmd_line_ptr", BootParamsLayout.CmdLinePtr),
            ("hdr.initrd_addr_max", BootParamsLayout.InitrdAddrMax),
            ("hdr.kernel_alignment", BootParamsLayout.KernelAlignment),
            ("hdr.relocatable_kernel", BootParamsLayout.RelocatableKernel),
            ("hdr.xloadflags", BootParamsLayout.XLoadFlags),
            ("hdr.cmdline_size", BootParamsLayout.CmdlineSize),
            ("hdr.pref_address", BootParamsLayout.PrefAddress),
            ("hdr.init_size", BootParamsLayout.InitSize),
            ("e820_table", BootParamsLayout.E820Table),
        ];
        foreach (var (path, offset) in fields)
        {
            c.Assert($"offsetof(struct boot_params, {path}) == {offset}");
        }
        c.Assert($"sizeof(struct boot_params) == {BootParamsLayout.Size}");
        c.Assert($"offsetof(struct boot_params, hdr) + sizeof(struct setup_header) == {BootParamsLayout.SetupHeaderEnd}");
        c.Assert($"sizeof(struct boot_e820_entry) == {E820Entry.EncodedSize}");
        c.Assert($"E820_MAX_ENTRIES_ZEROPAGE == {E820Map.MaxEntries}");
        c.Assert($"XLF_KERNEL_64 == {SetupHeader.XlfKernel64}");
        c.Assert($"LOADED_HIGH == {SetupHeader.LoadedHigh}");
        c.Assert($"CAN_USE_HEAP == {SetupHeader.CanUseHeap}");
        c.Compile();
    }
}
