using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Seccomp;

namespace KataSharp.Agent.Engine.Seccomp;

/// <summary>
/// Compiles an OCI seccomp profile to a classic BPF program with libseccomp, the way runc does (its
/// libcontainer/seccomp): the default action, the profile's architectures, then one rule per syscall name
/// (names libseccomp does not know are skipped, rules whose action is the default are dropped) with the
/// argument conditions ANDed - except that when one argument is compared twice in a rule every condition
/// becomes a rule of its own (ORed), which is what runc does and profiles are written for. The program
/// goes to ks-spawn, which installs it after no_new_privs or the capability drop.
/// One deliberate difference, for safety: a call through an architecture the profile does not list
/// (x86 int 0x80 or x32 numbers when only x86-64 is listed) gets the default action when it denies, and
/// kills the process when the default allows, so a 32-bit entry point never bypasses a deny-list.
/// </summary>
public static class SeccompCompiler
{
    /// <summary>The kernel's BPF_MAXINSNS for classic BPF.</summary>
    private const int MaxInstructions = 4096;

    /// <summary>runc's threshold for libseccomp's binary-tree dispatch (runc counts the profile's rules).</summary>
    private const int BinaryTreeAbove = 32;

    private const uint EPERM = 1;

    /// <summary>The program as struct sock_filter bytes (8 per instruction), ready for ks-spawn.</summary>
    public static byte[] Compile(OciSeccomp profile, string field = "linux.seccomp")
    {
        SeccompAction defaultAction = Action(profile.DefaultAction, profile.DefaultErrnoRet, $"{field}.defaultAction");
        // Flags (SECCOMP_FILTER_FLAG_LOG, SPEC_ALLOW) only tune logging and mitigations at load time;
        // ignoring them never weakens the filter.
        List<OciSyscall> rules = profile.Syscalls ?? [];
        try
        {
            using var filter = new SeccompFilter(defaultAction);
            filter.SetBadArchitectureAction(defaultAction == SeccompAction.Allow || defaultAction == SeccompAction.Log ? SeccompAction.KillProcess : defaultAction);
            AddArchitectures(filter, profile.Architectures ?? [], $"{field}.architectures");
            int added = 0;
            for (int r = 0; r < rules.Count; r++)
            {
                added += AddRule(filter, rules[r], defaultAction, $"{field}.syscalls[{r}]");
            }
            // Counted in rules really added: libseccomp 2.5.4 builds a wrong tree for an empty filter.
            if (added > BinaryTreeAbove)
            {
                filter.SetBinaryTreeOptimization(true);
            }
            byte[] program = filter.ExportBpf();
            if (program.Length / 8 > MaxInstructions)
            {
                throw AgentException.Invalid(field, $"compiles to {program.Length / 8} BPF instructions; the kernel allows {MaxInstructions}");
            }
            return program;
        }
        catch (LinuxException e)
        {
            throw AgentException.Invalid(field, $"libseccomp refused the profile: {e.Message}");
        }
    }

    /// <summary>OCI names (SCMP_ARCH_X86_64) are libseccomp's (x86_64) with a prefix, upper-cased.</summary>
    private static void AddArchitectures(SeccompFilter filter, List<string> architectures, string field)
    {
        const string prefix = "SCMP_ARCH_";
        for (int i = 0; i < architectures.Count; i++)
        {
            string oci = architectures[i];
            string name = oci.StartsWith(prefix, StringComparison.Ordinal) ? oci[prefix.Length..].ToLowerInvariant() : "";
            if (name.Length == 0 || SeccompFilter.ResolveArchitecture(name) is null)
            {
                throw AgentException.Invalid($"{field}[{i}]", $"unknown architecture '{oci}'");
            }
            filter.AddArchitecture(name);
        }
    }

    /// <summary>Adds the rule for each of its names libseccomp knows; returns how many libseccomp rules that made.</summary>
    private static int AddRule(SeccompFilter filter, OciSyscall rule, SeccompAction defaultAction, string field)
    {
        SeccompAction action = Action(rule.Action, rule.ErrnoRet, $"{field}.action");
        if (rule.Names is null || rule.Names.Count == 0)
        {
            throw AgentException.Invalid($"{field}.names", "must list at least one syscall");
        }
        SeccompCondition[] conditions = Conditions(rule.Args ?? [], field);
        if (action == defaultAction)
        {
            return 0; // redundant, and libseccomp refuses it
        }
        bool oneArgumentTwice = conditions.GroupBy(c => c.Argument).Any(g => g.Count() > 1);
        int added = 0;
        foreach (string name in rule.Names)
        {
            try
            {
                if (!oneArgumentTwice)
                {
                    added += filter.Add(action, name, conditions) ? 1 : 0;
                    continue;
                }
                foreach (SeccompCondition condition in conditions)
                {
                    added += filter.Add(action, name, condition) ? 1 : 0;
                }
            }
            catch (LinuxException e)
            {
                throw AgentException.Invalid(field, $"syscall '{name}': {e.Message}");
            }
        }
        return added;
    }

    private static SeccompCondition[] Conditions(List<OciSeccompArg> args, string field)
    {
        var conditions = new SeccompCondition[args.Count];
        for (int a = 0; a < args.Count; a++)
        {
            OciSeccompArg arg = args[a];
            if (arg.Index >= SeccompCondition.MaxArguments)
            {
                throw AgentException.Invalid($"{field}.args[{a}].index", $"is {arg.Index}; syscalls have arguments 0-5");
            }
            SeccompComparison comparison = arg.Op switch
            {
                "SCMP_CMP_EQ" => SeccompComparison.Equal,
                "SCMP_CMP_NE" => SeccompComparison.NotEqual,
                "SCMP_CMP_LT" => SeccompComparison.LessThan,
                "SCMP_CMP_LE" => SeccompComparison.LessOrEqual,
                "SCMP_CMP_GT" => SeccompComparison.GreaterThan,
                "SCMP_CMP_GE" => SeccompComparison.GreaterOrEqual,
                "SCMP_CMP_MASKED_EQ" => SeccompComparison.MaskedEqual,
                _ => throw AgentException.Invalid($"{field}.args[{a}].op",
                    $"unknown comparison '{arg.Op}' (expected SCMP_CMP_EQ, NE, LT, LE, GT, GE or MASKED_EQ)"),
            };
            conditions[a] = new SeccompCondition(arg.Index, comparison, arg.Value, arg.ValueTwo);
        }
        return conditions;
    }

    private static SeccompAction Action(string? name, uint? errnoRet, string field)
    {
        if (errnoRet > 0xffff)
        {
            throw AgentException.Invalid(field, $"errnoRet {errnoRet} does not fit the 16 bits seccomp returns");
        }
        return name switch
        {
            "SCMP_ACT_ALLOW" => SeccompAction.Allow,
            "SCMP_ACT_ERRNO" => SeccompAction.Errno(errnoRet ?? EPERM),
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SeccompAction.KillThread,
            "SCMP_ACT_KILL_PROCESS" => SeccompAction.KillProcess,
            "SCMP_ACT_TRAP" => SeccompAction.Trap,
            "SCMP_ACT_TRACE" => SeccompAction.Trace(errnoRet ?? EPERM),
            "SCMP_ACT_LOG" => SeccompAction.Log,
            null => throw AgentException.Invalid(field, "is required"),
            _ => throw AgentException.Invalid(field, $"unsupported action '{name}' (supported: SCMP_ACT_ALLOW, ERRNO, KILL, KILL_THREAD, KILL_PROCESS, TRAP, TRACE, LOG)"),
        };
    }
}
