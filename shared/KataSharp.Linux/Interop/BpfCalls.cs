namespace KataSharp.Linux.Interop;

/// <summary>
/// bpf(2) (linux/bpf.h): the commands, program, map and attach types KataSharp uses, and the offsets of the
/// <c>union bpf_attr</c> members each command reads. C names, so the layout test compares each with the header
/// (glibc has no bpf() wrapper: the call goes through syscall(2)).
/// </summary>
internal static unsafe class BpfCalls
{
    public const int BPF_MAP_CREATE = 0;
    public const int BPF_MAP_UPDATE_ELEM = 2;
    public const int BPF_PROG_LOAD = 5;
    public const int BPF_LINK_CREATE = 28;

    public const int BPF_MAP_TYPE_SOCKMAP = 15;
    public const int BPF_PROG_TYPE_SK_LOOKUP = 30;
    public const int BPF_SK_LOOKUP = 36;

    /// <summary>ld_imm64's src_reg when imm holds a map fd.</summary>
    public const int BPF_PSEUDO_MAP_FD = 1;

    /// <summary>The helpers' ids (enum bpf_func_id).</summary>
    public const int BPF_FUNC_map_lookup_elem = 1;
    public const int BPF_FUNC_sk_release = 86;
    public const int BPF_FUNC_sk_assign = 124;

    /// <summary>bpf_attr is a union of one struct per command; the zeroed buffer is larger than any member used here
    /// (the kernel accepts a longer attr whose tail is zero).</summary>
    public const int AttrSize = 128;

    // BPF_MAP_CREATE
    public const int MapTypeOffset = 0, KeySizeOffset = 4, ValueSizeOffset = 8, MaxEntriesOffset = 12;
    // BPF_MAP_UPDATE_ELEM
    public const int MapFdOffset = 0, KeyOffset = 8, ValueOffset = 16, FlagsOffset = 24;
    // BPF_PROG_LOAD
    public const int ProgTypeOffset = 0, InsnCountOffset = 4, InsnsOffset = 8, LicenseOffset = 16, LogLevelOffset = 24,
        LogSizeOffset = 28, LogBufferOffset = 32, ProgNameOffset = 48, ExpectedAttachTypeOffset = 68;
    public const int BPF_OBJ_NAME_LEN = 16;
    // BPF_LINK_CREATE
    public const int LinkProgFdOffset = 0, LinkTargetFdOffset = 4, LinkAttachTypeOffset = 8;

    /// <summary>Fields of <c>struct bpf_sk_lookup</c>, an sk_lookup program's context.</summary>
    public const int SkLookupProtocolOffset = 12, SkLookupLocalIp4Offset = 40;

    /// <summary>bpf(cmd, attr, size): the new fd or 0, or -1 with errno.</summary>
    public static int Call(int command, byte* attr) => (int)UnistdCalls.syscall(SyscallNumbers.SYS_bpf, command, (long)attr, AttrSize);
}
