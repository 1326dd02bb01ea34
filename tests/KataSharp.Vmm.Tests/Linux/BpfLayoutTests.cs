using KataSharp.Linux.Bpf;
using KataSharp.Linux.Interop;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// bpf(2)'s numbers and the <c>union bpf_attr</c> / <c>struct bpf_sk_lookup</c> offsets KataSharp.Linux writes and reads,
/// against the kernel's uapi headers (see <see cref="CHeaderAssertions"/>), and the steering program's encoding.
/// </summary>
public sealed class BpfLayoutTests
{
    private static readonly string[] Headers = ["linux/bpf.h", "sys/syscall.h"];

    [Fact]
    public void Bpf_numbers_and_offsets_match_the_kernel_headers()
    {
        var c = new CHeaderAssertions(Headers);
        string[] offsets = typeof(BpfCalls).GetFields().Where(f => f.Name.EndsWith("Offset", StringComparison.Ordinal)).Select(f => f.Name).ToArray();
        c.Constants(typeof(BpfCalls), except: [.. offsets, nameof(BpfCalls.AttrSize)]);
        (string Member, int Offset)[] attr =
        [
            ("map_type", BpfCalls.MapTypeOffset), ("key_size", BpfCalls.KeySizeOffset), ("value_size", BpfCalls.ValueSizeOffset),
            ("max_entries", BpfCalls.MaxEntriesOffset),
            ("map_fd", BpfCalls.MapFdOffset), ("key", BpfCalls.KeyOffset), ("value", BpfCalls.ValueOffset), ("flags", BpfCalls.FlagsOffset),
            ("prog_type", BpfCalls.ProgTypeOffset), ("insn_cnt", BpfCalls.InsnCountOffset), ("insns", BpfCalls.InsnsOffset),
            ("license", BpfCalls.LicenseOffset), ("log_level", BpfCalls.LogLevelOffset), ("log_size", BpfCalls.LogSizeOffset),
            ("log_buf", BpfCalls.LogBufferOffset), ("prog_name", BpfCalls.ProgNameOffset),
            ("expected_attach_type", BpfCalls.ExpectedAttachTypeOffset),
            ("link_create.prog_fd", BpfCalls.LinkProgFdOffset), ("link_create.target_fd", BpfCalls.LinkTargetFdOffset),
            ("link_create.attach_type", BpfCalls.LinkAttachTypeOffset),
        ];
        foreach ((string member, int offset) in attr)
        {
            c.Assert($"offsetof(union bpf_attr, {member}) == {offset}");
        }
        c.Assert($"offsetof(struct bpf_sk_lookup, protocol) == {BpfCalls.SkLookupProtocolOffset}");
        c.Assert($"offsetof(struct bpf_sk_lookup, local_ip4) == {BpfCalls.SkLookupLocalIp4Offset}");
        c.Assert($"sizeof(struct bpf_insn) == {BpfInstruction.Size}");
        c.Compile();
    }

    [Fact]
    public void The_steering_program_ends_in_sk_pass_and_its_jumps_land_on_it()
    {
        BpfInstruction[] program = LoopbackSteering.Program(mapFd: 7);
        Assert.Equal(21, program.Length);
        Assert.Equal(BpfInstruction.Return(), program[^1]);
        Assert.Equal(BpfInstruction.MoveImmediate(0, 1), program[^2]);
        int pass = program.Length - 2;
        for (int i = 0; i < program.Length; i++)
        {
            bool conditionalJump = (program[i].Opcode & 0x07) == 0x05 && (program[i].Opcode & 0xf0) is 0x10 or 0x50;
            if (conditionalJump)
            {
                Assert.Equal(pass, i + 1 + program[i].Offset);
            }
        }
        Assert.Equal((byte)1, program[6].Src); // ld_imm64 of the map fd (BPF_PSEUDO_MAP_FD)
        Assert.Equal(7, program[6].Immediate);
    }
}
