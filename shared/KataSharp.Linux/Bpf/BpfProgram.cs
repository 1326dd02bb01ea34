using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Bpf;

/// <summary>A loaded eBPF program (its fd). Loading runs the kernel's verifier; a refusal carries the verifier's log.</summary>
public sealed unsafe class BpfProgram : IDisposable
{
    /// <summary>GPL-compatible, so every helper is allowed; the programs here use none that needs it.</summary>
    private const string License = "Dual MIT/GPL";
    private const int VerifierLogBytes = 64 << 10;

    private BpfProgram(FileDescriptor descriptor) => Descriptor = descriptor;

    public FileDescriptor Descriptor { get; }

    /// <summary>Loads <paramref name="instructions"/> as a program of <paramref name="programType"/> for <paramref name="attachType"/>.</summary>
    internal static BpfProgram Load(int programType, int attachType, string name, IReadOnlyList<BpfInstruction> instructions)
    {
        byte[] code = new byte[instructions.Count * BpfInstruction.Size];
        for (int i = 0; i < instructions.Count; i++)
        {
            instructions[i].WriteTo(code.AsSpan(i * BpfInstruction.Size));
        }
        byte[] license = Encoding.ASCII.GetBytes(License + "\0");
        try
        {
            return new BpfProgram(Load(programType, attachType, name, code, license, log: null));
        }
        catch (LinuxException first) when (first.Errno is Errno.EACCES or Errno.EINVAL)
        {
            // Again with the verifier's log, only to say why: the first attempt had no buffer that could be too small.
            byte[] log = new byte[VerifierLogBytes];
            try
            {
                Load(programType, attachType, name, code, license, log).Dispose();
            }
            catch (LinuxException)
            {
                string text = Encoding.ASCII.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
                throw new LinuxException(first.Call, (int)first.Errno, $"verifier: {Tail(text, 2000)}");
            }
            throw;
        }
    }

    private static FileDescriptor Load(int programType, int attachType, string name, byte[] code, byte[] license, byte[]? log)
    {
        fixed (byte* insns = code)
        fixed (byte* licenseText = license)
        fixed (byte* logBuffer = log)
        {
            var attr = new BpfAttr(stackalloc byte[BpfCalls.AttrSize]);
            attr.U32(BpfCalls.ProgTypeOffset, (uint)programType);
            attr.U32(BpfCalls.InsnCountOffset, (uint)(code.Length / BpfInstruction.Size));
            attr.U64(BpfCalls.InsnsOffset, (ulong)insns);
            attr.U64(BpfCalls.LicenseOffset, (ulong)licenseText);
            if (log is not null)
            {
                attr.U32(BpfCalls.LogLevelOffset, 1);
                attr.U32(BpfCalls.LogSizeOffset, (uint)log.Length);
                attr.U64(BpfCalls.LogBufferOffset, (ulong)logBuffer);
            }
            byte[] programName = Encoding.ASCII.GetBytes(name);
            for (int i = 0; i < Math.Min(programName.Length, BpfCalls.BPF_OBJ_NAME_LEN - 1); i++)
            {
                attr.U8(BpfCalls.ProgNameOffset + i, programName[i]);
            }
            attr.U32(BpfCalls.ExpectedAttachTypeOffset, (uint)attachType);
            return attr.Create(BpfCalls.BPF_PROG_LOAD, $"bpf(BPF_PROG_LOAD, {name})");
        }
    }

    private static string Tail(string text, int max) => text.Length <= max ? text : "…" + text[^max..];

    public void Dispose() => Descriptor.Dispose();
}
