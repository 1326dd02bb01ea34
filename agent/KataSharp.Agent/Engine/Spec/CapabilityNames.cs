using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Spec;

/// <summary>Linux capability names (linux/capability.h) to bit numbers; OCI writes them with the CAP_ prefix.</summary>
public static class CapabilityNames
{
    private static readonly string[] Names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ];

    public static int Count => Names.Length;

    public static string NameOf(int bit) => Names[bit];

    /// <summary>The capability sets as 64-bit masks; an unknown name is InvalidArgument at <paramref name="field"/>[i].</summary>
    public static ulong ToMask(IReadOnlyList<string>? names, string field)
    {
        ulong mask = 0;
        if (names is null)
        {
            return 0;
        }
        for (int i = 0; i < names.Count; i++)
        {
            int bit = Array.IndexOf(Names, names[i].ToUpperInvariant());
            if (bit < 0)
            {
                throw AgentException.Invalid($"{field}[{i}]", $"unknown capability '{names[i]}' (expected a name like CAP_NET_BIND_SERVICE)");
            }
            mask |= 1UL << bit;
        }
        return mask;
    }
}
