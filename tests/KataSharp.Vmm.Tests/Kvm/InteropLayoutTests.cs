using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Tests.Support;
using Xunit;

// Reflection over the interop types is the point of this test; it runs on the JIT, never under AOT.
#pragma warning disable IL2070, IL3050

namespace KataSharp.Vmm.Tests.Kvm;

/// <summary>
/// Every struct, constant and ioctl number that crosses into the kernel, checked against the
/// C headers: the test writes a C file of _Static_asserts from the C# definitions (by reflection,
/// so a new field is checked without editing this test) and compiles it with gcc against
/// &lt;linux/kvm.h&gt; and &lt;asm/bootparam.h&gt; (linux-libc-dev). A mismatch fails with gcc's list.
/// </summary>
public sealed class InteropLayoutTests
{
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
        var c = new StringBuilder();
        foreach (Type type in Structs)
        {
            if (!Prefixes.Contains(type))
            {
                Assert(c, $"sizeof(struct {type.Name}) == {Marshal.SizeOf(type)}");
            }
            AddFields(c, type.Name, type, "", 0);
        }
        Compile(c.ToString());
    }

    [Fact]
    public void Every_kvm_constant_and_ioctl_number_matches_the_kernel_headers()
    {
        var c = new StringBuilder();
        foreach (FieldInfo field in typeof(KvmConstants).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (field.Name == "KVM_MAX_CPUID_ENTRIES")
            {
                continue; // a kernel-internal limit, not in the uapi header
            }
            Assert(c, $"{field.Name} == {Convert.ToInt64(field.GetValue(null))}LL");
        }
        foreach (FieldInfo field in typeof(KvmIoctls).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            Assert(c, $"(unsigned int){field.Name} == {field.GetValue(null)}u");
        }
        Compile(c.ToString());
    }

    [Fact]
    public void Boot_params_offsets_match_the_kernel_headers()
    {
        var c = new StringBuilder();
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
            Assert(c, $"offsetof(struct boot_params, {path}) == {offset}");
        }
        Assert(c, $"sizeof(struct boot_params) == {BootParamsLayout.Size}");
        Assert(c, $"offsetof(struct boot_params, hdr) + sizeof(struct setup_header) == {BootParamsLayout.SetupHeaderEnd}");
        Assert(c, $"sizeof(struct boot_e820_entry) == {E820Entry.EncodedSize}");
        Assert(c, $"E820_MAX_ENTRIES_ZEROPAGE == {E820Map.MaxEntries}");
        Assert(c, $"XLF_KERNEL_64 == {SetupHeader.XlfKernel64}");
        Assert(c, $"LOADED_HIGH == {SetupHeader.LoadedHigh}");
        Assert(c, $"CAN_USE_HEAP == {SetupHeader.CanUseHeap}");
        Compile(c.ToString());
    }

    /// <summary>Field by field, recursing into nested interop structs (C path "a.b"); fixed buffers are leaves.</summary>
    private static void AddFields(StringBuilder c, string cType, Type type, string prefix, int baseOffset)
    {
        foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            string path = prefix + field.Name;
            int offset = baseOffset + (int)Marshal.OffsetOf(type, field.Name);
            Assert(c, $"offsetof(struct {cType}, {path}) == {offset}");
            Assert(c, $"sizeof(((struct {cType} *)0)->{path}) == {SizeOf(field)}");
            Type t = field.FieldType;
            if (t.IsValueType && !t.IsPrimitive && field.GetCustomAttribute<FixedBufferAttribute>() is null)
            {
                AddFields(c, cType, t, path + ".", offset);
            }
        }
    }

    private static int SizeOf(FieldInfo field) =>
        field.GetCustomAttribute<FixedBufferAttribute>() is { } buffer
            ? buffer.Length * Marshal.SizeOf(buffer.ElementType)
            : Marshal.SizeOf(field.FieldType);

    private static void Assert(StringBuilder c, string condition) => CHeaderCheck.Assert(c, condition);

    private static void Compile(string assertions) => CHeaderCheck.Compile(["linux/kvm.h", "asm/bootparam.h"], assertions);
}
