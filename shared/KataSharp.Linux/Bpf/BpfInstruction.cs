using System.Buffers.Binary;

namespace KataSharp.Linux.Bpf;

/// <summary>
/// One eBPF instruction (<c>struct bpf_insn</c>: opcode, dst and src registers in one byte, a 16-bit offset, a 32-bit
/// immediate) and the few forms the programs here need. Programs are short and fixed, so they are written out with
/// these constructors instead of an assembler; the kernel's verifier is the final check of each.
/// </summary>
public readonly record struct BpfInstruction(byte Opcode, byte Dst, byte Src, short Offset, int Immediate)
{
    public const int Size = 8;

    // Instruction classes, sizes, sources and operations (linux/bpf_common.h, linux/bpf.h).
    private const byte Ld = 0x00, Ldx = 0x01, St = 0x02, Jmp = 0x05, Alu64 = 0x07;
    private const byte W = 0x00, Dw = 0x18, Mem = 0x60, Imm = 0x00;
    private const byte K = 0x00, X = 0x08;
    private const byte Mov = 0xb0, Add = 0x00, Jeq = 0x10, Jne = 0x50, Call = 0x80, Exit = 0x90;

    /// <summary>dst = src (64-bit).</summary>
    public static BpfInstruction MoveRegister(byte dst, byte src) => new(Alu64 | Mov | X, dst, src, 0, 0);

    /// <summary>dst = imm (64-bit, sign-extended).</summary>
    public static BpfInstruction MoveImmediate(byte dst, int imm) => new(Alu64 | Mov | K, dst, 0, 0, imm);

    /// <summary>dst += imm (64-bit).</summary>
    public static BpfInstruction AddImmediate(byte dst, int imm) => new(Alu64 | Add | K, dst, 0, 0, imm);

    /// <summary>dst = *(u32 *)(src + offset).</summary>
    public static BpfInstruction LoadWord(byte dst, byte src, short offset) => new(Ldx | W | Mem, dst, src, offset, 0);

    /// <summary>*(u32 *)(dst + offset) = imm.</summary>
    public static BpfInstruction StoreWordImmediate(byte dst, short offset, int imm) => new(St | W | Mem, dst, 0, offset, imm);

    /// <summary>if dst != imm: skip <paramref name="skip"/> instructions.</summary>
    public static BpfInstruction JumpIfNotEqual(byte dst, int imm, short skip) => new(Jmp | Jne | K, dst, 0, skip, imm);

    /// <summary>if dst == imm: skip <paramref name="skip"/> instructions.</summary>
    public static BpfInstruction JumpIfEqual(byte dst, int imm, short skip) => new(Jmp | Jeq | K, dst, 0, skip, imm);

    public static BpfInstruction CallHelper(int helper) => new(Jmp | Call, 0, 0, 0, helper);

    public static BpfInstruction Return() => new(Jmp | Exit, 0, 0, 0, 0);

    /// <summary>dst = the map whose fd is <paramref name="mapFd"/>: ld_imm64 with BPF_PSEUDO_MAP_FD, two slots.</summary>
    public static BpfInstruction[] LoadMap(byte dst, int mapFd) =>
        [new(Ld | Dw | Imm, dst, Interop.BpfCalls.BPF_PSEUDO_MAP_FD, 0, mapFd), new(0, 0, 0, 0, 0)];

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = Opcode;
        destination[1] = (byte)((Src << 4) | (Dst & 0x0f));
        BinaryPrimitives.WriteInt16LittleEndian(destination[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Immediate);
    }
}
