using System.Buffers.Binary;

namespace KataSharp.Agent.Tests.Spec;

/// <summary>
/// A classic-BPF interpreter for the instructions libseccomp emits for seccomp (ld abs, ja, jeq/jgt/jge/jset,
/// and, ret), run over a struct seccomp_data, so filters are tested by behaviour, not by bytes.
/// </summary>
internal static class BpfInterpreter
{
    public static uint Run(byte[] program, int nr, uint arch = 0xC000003E, params ulong[] args)
    {
        byte[] data = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(data, nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch);
        for (int i = 0; i < args.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + 8 * i), args[i]);
        }
        uint a = 0;
        for (int pc = 0, steps = 0; steps < 10000; steps++)
        {
            ReadOnlySpan<byte> insn = program.AsSpan(pc * 8, 8);
            ushort code = BinaryPrimitives.ReadUInt16LittleEndian(insn);
            byte jt = insn[2], jf = insn[3];
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(insn[4..]);
            pc++;
            switch (code)
            {
                case 0x20: a = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)k)); break;
                case 0x54: a &= k; break;
                case 0x05: pc += (int)k; break;
                case 0x45: pc += (a & k) != 0 ? jt : jf; break;
                case 0x15: pc += a == k ? jt : jf; break;
                case 0x25: pc += a > k ? jt : jf; break;
                case 0x35: pc += a >= k ? jt : jf; break;
                case 0x06: return k;
                default: throw new InvalidOperationException($"unexpected BPF opcode 0x{code:x} at {pc - 1}");
            }
        }
        throw new InvalidOperationException("the program did not return");
    }
}
