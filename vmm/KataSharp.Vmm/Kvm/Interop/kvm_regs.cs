using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_regs (asm/kvm.h): the general-purpose registers, RIP and RFLAGS.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_regs
{
    public ulong rax, rbx, rcx, rdx;
    public ulong rsi, rdi, rsp, rbp;
    public ulong r8, r9, r10, r11;
    public ulong r12, r13, r14, r15;
    public ulong rip, rflags;
}
