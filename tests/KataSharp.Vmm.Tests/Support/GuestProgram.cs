using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>
/// Tiny 64-bit guest programs assembled with Iced at test time (no binaries in git). Programs
/// start in the VMM's long-mode entry state at <see cref="LoadAddress"/>, report values through
/// <see cref="ReportPort"/> (4-byte OUTs, a 64-bit value as low then high half), text through
/// <see cref="TextPort"/> (1-byte OUTs), and end with an OUT to <see cref="ExitPort"/>: HLT would
/// be swallowed by the in-kernel irqchip. Keep them short: CPL0 code on a PVM /dev/kvm is
/// emulated at roughly 400,000 instructions per second.
/// </summary>
public static class GuestProgram
{
    /// <summary>Where the program is loaded and entered (1 MiB, where a kernel would go).</summary>
    public const ulong LoadAddress = 0x10_0000;

    public const ushort ReportPort = 0xE0;
    public const ushort TextPort = 0xE8;
    public const ushort ExitPort = 0xF4;

    /// <summary>Assembles <paramref name="body"/> for <see cref="LoadAddress"/>.</summary>
    public static byte[] Assemble(Action<Assembler> body)
    {
        var a = new Assembler(64);
        body(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), LoadAddress);
        return stream.ToArray();
    }

    /// <summary>The program as an ELF vmlinux look-alike the VMM's loader accepts.</summary>
    public static byte[] AsKernel(Action<Assembler> body) => SyntheticElf.Build(Assemble(body), LoadAddress, LoadAddress);

    /// <summary>Reports RAX as two 4-byte OUTs (low half, then high half). Clobbers RDX and RAX.</summary>
    public static void ReportRax(this Assembler a)
    {
        a.mov(dx, ReportPort);
        a.@out(dx, eax);
        a.shr(rax, 32);
        a.@out(dx, eax);
    }

    /// <summary>Reports a 64-bit register. Clobbers RDX and RAX.</summary>
    public static void Report(this Assembler a, AssemblerRegister64 register)
    {
        if (register != rax)
        {
            a.mov(rax, register);
        }
        a.ReportRax();
    }

    /// <summary>Reports the 64-bit value at [<paramref name="baseRegister"/> + <paramref name="offset"/>].</summary>
    public static void ReportQword(this Assembler a, AssemblerRegister64 baseRegister, int offset)
    {
        a.mov(rax, __qword_ptr[baseRegister + offset]);
        a.ReportRax();
    }

    /// <summary>Reports the zero-extended 32-bit value at [<paramref name="baseRegister"/> + <paramref name="offset"/>].</summary>
    public static void ReportDword(this Assembler a, AssemblerRegister64 baseRegister, int offset)
    {
        a.mov(eax, __dword_ptr[baseRegister + offset]);
        a.ReportRax();
    }

    /// <summary>Reports the zero-extended byte at [<paramref name="baseRegister"/> + <paramref name="offset"/>].</summary>
    public static void ReportByte(this Assembler a, AssemblerRegister64 baseRegister, int offset)
    {
        a.movzx(eax, __byte_ptr[baseRegister + offset]);
        a.ReportRax();
    }

    /// <summary>
    /// A wait's budget in TSC ticks for a condition that needs the host (a device on the VMM's
    /// event loop): 30e9 ticks are 6-30 s at the 1-5 GHz TSCs of x86 machines, more than a device
    /// needs even under nested TCG on a loaded host, and less than <see cref="ProgramRun.Timeout"/>,
    /// so a condition that never comes ends the program with its own exit code. The TSC counts time,
    /// not guest instructions, so the budget does not shrink when the guest runs slowly.
    /// </summary>
    public const ulong HostWaitTicks = 30_000_000_000;

    /// <summary>Reads the 64-bit TSC into RAX. Clobbers RDX.</summary>
    public static void ReadTsc(this Assembler a)
    {
        a.rdtsc();
        a.shl(rdx, 32);
        a.or(rax, rdx);
    }

    /// <summary>Sets <paramref name="deadline"/> to the TSC <paramref name="ticks"/> from now. Clobbers RAX and RDX.</summary>
    public static void StartDeadline(this Assembler a, AssemblerRegister64 deadline, ulong ticks)
    {
        a.ReadTsc();
        a.mov(deadline, ticks);
        a.add(deadline, rax);
    }

    /// <summary>Jumps to <paramref name="target"/> while the TSC is below <paramref name="deadline"/>. Clobbers RAX and RDX.</summary>
    public static void JumpBeforeDeadline(this Assembler a, AssemblerRegister64 deadline, Label target)
    {
        a.ReadTsc();
        a.cmp(rax, deadline);
        a.jb(target);
    }

    /// <summary>Writes <paramref name="exitCode"/> to the exit port, then spins (the VMM stops the VM on the OUT).</summary>
    public static void Exit(this Assembler a, byte exitCode = 0)
    {
        a.mov(al, exitCode);
        a.@out((byte)ExitPort, al);
        Label spin = a.CreateLabel();
        a.Label(ref spin);
        a.jmp(spin);
    }
}
