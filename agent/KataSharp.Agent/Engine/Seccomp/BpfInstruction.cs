namespace KataSharp.Agent.Engine.Seccomp;

/// <summary>One classic BPF instruction (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k).</summary>
internal readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K)
{
    public const ushort LoadWordAbsolute = 0x20; // BPF_LD | BPF_W | BPF_ABS
    public const ushort JumpEqual = 0x15;        // BPF_JMP | BPF_JEQ | BPF_K
    public const ushort JumpGreater = 0x25;      // BPF_JMP | BPF_JGT | BPF_K
    public const ushort JumpGreaterEqual = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    public const ushort AndConstant = 0x54;      // BPF_ALU | BPF_AND | BPF_K
    public const ushort Return = 0x06;           // BPF_RET | BPF_K

    public void WriteTo(Span<byte> destination)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(destination, Code);
        destination[2] = JumpTrue;
        destination[3] = JumpFalse;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], K);
    }
}
