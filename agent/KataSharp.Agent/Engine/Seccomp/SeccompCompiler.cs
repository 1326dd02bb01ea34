using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Seccomp;

/// <summary>
/// Compiles an OCI seccomp profile to a classic BPF program for x86-64 (what libseccomp does for
/// runc): check the architecture, reject x32 numbers, then one block per rule (syscall number and
/// optional argument comparisons, first match wins), then the default action.
/// Unknown syscall names are skipped (runc does the same: profiles list names of other kernels).
/// Foreign architectures and x32 get the default action when it denies, KILL_PROCESS when the
/// default allows (a 32-bit entry point must never bypass a deny-list).
/// </summary>
public static class SeccompCompiler
{
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint X32SyscallBit = 0x40000000;
    private const int OffsetNr = 0, OffsetArch = 4, OffsetArgs = 16;

    private const uint RetKillThread = 0x00000000;
    private const uint RetKillProcess = 0x80000000;
    private const uint RetTrap = 0x00030000;
    private const uint RetErrno = 0x00050000;
    private const uint RetTrace = 0x7ff00000;
    private const uint RetLog = 0x7ffc0000;
    private const uint RetAllow = 0x7fff0000;
    private const uint EPERM = 1;

    /// <summary>The program as struct sock_filter bytes (8 per instruction), ready for ks-spawn.</summary>
    public static byte[] Compile(OciSeccomp profile, string field = "linux.seccomp")
    {
        uint defaultAction = Action(profile.DefaultAction, profile.DefaultErrnoRet, $"{field}.defaultAction");
        uint foreign = defaultAction is RetAllow or RetLog ? RetKillProcess : defaultAction;
        if (profile.Flags is { Count: > 0 })
        {
            // SECCOMP_FILTER_FLAG_LOG / SPEC_ALLOW only tune logging and mitigations; ignoring them
            // never weakens the filter.
        }

        var program = new List<BpfInstruction>
        {
            new(BpfInstruction.LoadWordAbsolute, 0, 0, OffsetArch),
            new(BpfInstruction.JumpEqual, 1, 0, AuditArchX86_64),
            new(BpfInstruction.Return, 0, 0, foreign),
            new(BpfInstruction.LoadWordAbsolute, 0, 0, OffsetNr),
            new(BpfInstruction.JumpGreaterEqual, 0, 1, X32SyscallBit),
            new(BpfInstruction.Return, 0, 0, foreign),
        };

        List<OciSyscall> rules = profile.Syscalls ?? [];
        for (int r = 0; r < rules.Count; r++)
        {
            OciSyscall rule = rules[r];
            string ruleField = $"{field}.syscalls[{r}]";
            uint action = Action(rule.Action, rule.ErrnoRet, $"{ruleField}.action");
            if (rule.Names is null || rule.Names.Count == 0)
            {
                throw AgentException.Invalid($"{ruleField}.names", "must list at least one syscall");
            }
            foreach (string name in rule.Names)
            {
                if (!SyscallTable.X86_64.TryGetValue(name, out int nr))
                {
                    continue;
                }
                program.AddRange(RuleBlock(nr, rule.Args ?? [], action, ruleField));
            }
        }
        program.Add(new BpfInstruction(BpfInstruction.Return, 0, 0, defaultAction));
        if (program.Count > 4096)
        {
            throw AgentException.Invalid(field, $"compiles to {program.Count} BPF instructions; the kernel allows 4096");
        }

        byte[] bytes = new byte[program.Count * 8];
        for (int i = 0; i < program.Count; i++)
        {
            program[i].WriteTo(bytes.AsSpan(i * 8));
        }
        return bytes;
    }

    private const int Fail = -1; // placeholder target: the end of the rule block (next rule)

    /// <summary>Instructions that return <paramref name="action"/> when the syscall number (already in A
    /// at block entry, reloaded here because argument checks clobber A) and every argument condition match.</summary>
    private static List<BpfInstruction> RuleBlock(int nr, List<OciSeccompArg> args, uint action, string field)
    {
        // Each entry: instruction plus symbolic jump targets (index within the block, or Fail).
        var block = new List<(ushort Code, int True, int False, uint K)>
        {
            (BpfInstruction.LoadWordAbsolute, 0, 0, OffsetNr),
        };
        int Next() => block.Count + 1;
        block.Add((BpfInstruction.JumpEqual, Next(), Fail, (uint)nr));
        for (int a = 0; a < args.Count; a++)
        {
            OciSeccompArg arg = args[a];
            if (arg.Index > 5)
            {
                throw AgentException.Invalid($"{field}.args[{a}].index", $"is {arg.Index}; syscalls have arguments 0-5");
            }
            uint lo = (uint)(OffsetArgs + 8 * arg.Index), hi = lo + 4;
            uint vLo = (uint)arg.Value, vHi = (uint)(arg.Value >> 32);
            switch (arg.Op)
            {
                case "SCMP_CMP_EQ":
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, hi));
                    block.Add((BpfInstruction.JumpEqual, Next(), Fail, vHi));
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, lo));
                    block.Add((BpfInstruction.JumpEqual, Next(), Fail, vLo));
                    break;
                case "SCMP_CMP_NE":
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, hi));
                    block.Add((BpfInstruction.JumpEqual, Next(), Next() + 2, vHi));
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, lo));
                    block.Add((BpfInstruction.JumpEqual, Fail, Next(), vLo));
                    break;
                case "SCMP_CMP_GT" or "SCMP_CMP_GE":
                {
                    ushort low = arg.Op == "SCMP_CMP_GT" ? BpfInstruction.JumpGreater : BpfInstruction.JumpGreaterEqual;
                    int success = block.Count + 5;
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, hi));
                    block.Add((BpfInstruction.JumpGreater, success, Next(), vHi));
                    block.Add((BpfInstruction.JumpEqual, Next(), Fail, vHi));
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, lo));
                    block.Add((low, success, Fail, vLo));
                    break;
                }
                case "SCMP_CMP_LT" or "SCMP_CMP_LE":
                {
                    // LT = not GE, LE = not GT.
                    ushort low = arg.Op == "SCMP_CMP_LE" ? BpfInstruction.JumpGreater : BpfInstruction.JumpGreaterEqual;
                    int success = block.Count + 5;
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, hi));
                    block.Add((BpfInstruction.JumpGreater, Fail, Next(), vHi));
                    block.Add((BpfInstruction.JumpEqual, Next(), success, vHi));
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, lo));
                    block.Add((low, Fail, success, vLo));
                    break;
                }
                case "SCMP_CMP_MASKED_EQ":
                {
                    uint wantLo = (uint)arg.ValueTwo, wantHi = (uint)(arg.ValueTwo >> 32);
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, hi));
                    block.Add((BpfInstruction.AndConstant, 0, 0, vHi));
                    block.Add((BpfInstruction.JumpEqual, Next(), Fail, wantHi));
                    block.Add((BpfInstruction.LoadWordAbsolute, 0, 0, lo));
                    block.Add((BpfInstruction.AndConstant, 0, 0, vLo));
                    block.Add((BpfInstruction.JumpEqual, Next(), Fail, wantLo));
                    break;
                }
                default:
                    throw AgentException.Invalid($"{field}.args[{a}].op",
                        $"unknown comparison '{arg.Op}' (expected SCMP_CMP_EQ, NE, LT, LE, GT, GE or MASKED_EQ)");
            }
        }
        block.Add((BpfInstruction.Return, 0, 0, action));

        int end = block.Count;
        var resolved = new List<BpfInstruction>(block.Count);
        for (int i = 0; i < block.Count; i++)
        {
            var (code, t, f, k) = block[i];
            bool isJump = code is BpfInstruction.JumpEqual or BpfInstruction.JumpGreater or BpfInstruction.JumpGreaterEqual;
            resolved.Add(isJump ? new BpfInstruction(code, Offset(i, t, end), Offset(i, f, end), k) : new BpfInstruction(code, 0, 0, k));
        }
        return resolved;
    }

    private static byte Offset(int from, int target, int end) => checked((byte)((target == Fail ? end : target) - (from + 1)));

    private static uint Action(string? name, uint? errnoRet, string field) => name switch
    {
        "SCMP_ACT_ALLOW" => RetAllow,
        "SCMP_ACT_ERRNO" => RetErrno | ((errnoRet ?? EPERM) & 0xffff),
        "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => RetKillThread,
        "SCMP_ACT_KILL_PROCESS" => RetKillProcess,
        "SCMP_ACT_TRAP" => RetTrap,
        "SCMP_ACT_TRACE" => RetTrace | ((errnoRet ?? 0) & 0xffff),
        "SCMP_ACT_LOG" => RetLog,
        null => throw AgentException.Invalid(field, "is required"),
        _ => throw AgentException.Invalid(field, $"unsupported action '{name}' (supported: SCMP_ACT_ALLOW, ERRNO, KILL, KILL_THREAD, KILL_PROCESS, TRAP, TRACE, LOG)"),
    };
}
