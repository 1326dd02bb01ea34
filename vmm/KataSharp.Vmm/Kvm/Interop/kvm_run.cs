using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>
/// struct kvm_run (linux/kvm.h), the page KVM shares with user space per vCPU: the header and the
/// exit-union members the VMM decodes, all at their C offsets. Only a prefix of the C struct is
/// described (the kernel's page is larger); it is always accessed in place through
/// <see cref="KvmRunArea"/>, never copied.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
public struct kvm_run
{
    private const int Union = 32;

    [FieldOffset(0)] public byte request_interrupt_window;
    [FieldOffset(1)] public byte immediate_exit;
    [FieldOffset(8)] public uint exit_reason;
    [FieldOffset(12)] public byte ready_for_interrupt_injection;
    [FieldOffset(13)] public byte if_flag;
    [FieldOffset(14)] public ushort flags;
    [FieldOffset(16)] public ulong cr8;
    [FieldOffset(24)] public ulong apic_base;

    [FieldOffset(Union)] public hw_exit hw;
    [FieldOffset(Union)] public fail_entry_exit fail_entry;
    [FieldOffset(Union)] public ex_exit ex;
    [FieldOffset(Union)] public io_exit io;
    [FieldOffset(Union)] public mmio_exit mmio;
    [FieldOffset(Union)] public internal_exit @internal;
    [FieldOffset(Union)] public system_event_exit system_event;

    /// <summary>KVM_EXIT_UNKNOWN.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct hw_exit
    {
        public ulong hardware_exit_reason;
    }

    /// <summary>KVM_EXIT_FAIL_ENTRY.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct fail_entry_exit
    {
        public ulong hardware_entry_failure_reason;
        public uint cpu;
    }

    /// <summary>KVM_EXIT_EXCEPTION.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ex_exit
    {
        public uint exception;
        public uint error_code;
    }

    /// <summary>KVM_EXIT_IO: <c>count</c> accesses of <c>size</c> bytes at <c>data_offset</c> from the page start.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct io_exit
    {
        public byte direction;
        public byte size;
        public ushort port;
        public uint count;
        public ulong data_offset;
    }

    /// <summary>KVM_EXIT_MMIO.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct mmio_exit
    {
        public ulong phys_addr;
        public fixed byte data[8];
        public uint len;
        public byte is_write;
    }

    /// <summary>KVM_EXIT_INTERNAL_ERROR.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct internal_exit
    {
        public uint suberror;
        public uint ndata;
        public fixed ulong data[16];
    }

    /// <summary>KVM_EXIT_SYSTEM_EVENT (<c>data[0]</c> shares its place with <c>flags</c>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct system_event_exit
    {
        public uint type;
        public uint ndata;
        public fixed ulong data[16];
    }
}
