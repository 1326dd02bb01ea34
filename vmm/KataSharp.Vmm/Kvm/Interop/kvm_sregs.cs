using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_sregs (asm/kvm.h): segment, descriptor-table and control registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_sregs
{
    public kvm_segment cs, ds, es, fs, gs, ss;
    public kvm_segment tr, ldt;
    public kvm_dtable gdt, idt;
    public ulong cr0, cr2, cr3, cr4, cr8;
    public ulong efer;
    public ulong apic_base;
    public fixed ulong interrupt_bitmap[4];
}
