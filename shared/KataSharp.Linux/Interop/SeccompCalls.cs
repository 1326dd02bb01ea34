using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>
/// libseccomp (seccomp.h): building a seccomp filter from syscall names and exporting or loading it. libseccomp owns the
/// syscall tables (generated from the kernel's syscall tables for every architecture it knows), so nothing here numbers a
/// syscall by hand. C names, so the layout test compares each constant and <see cref="scmp_arg_cmp"/> with the header.
/// The library is the runtime package's soname (libseccomp2, runc's own dependency, is on every host); the NativeAOT agent
/// links libseccomp.a into its executable instead (agent/KataSharp.Agent.csproj: DirectPInvoke), so the guest needs no
/// copy of the shared library. Calls that fail return -errno (they do not set errno).
/// </summary>
internal static unsafe partial class SeccompCalls
{
    public const string LibSeccomp = "libseccomp.so.2";

    public const uint SCMP_ACT_KILL_PROCESS = 0x80000000;
    public const uint SCMP_ACT_KILL_THREAD = 0x00000000;
    public const uint SCMP_ACT_TRAP = 0x00030000;
    public const uint SCMP_ACT_LOG = 0x7ffc0000;
    public const uint SCMP_ACT_ALLOW = 0x7fff0000;

    /// <summary>SCMP_ACT_ERRNO(x) and SCMP_ACT_TRACE(x) are function-like macros: these are their bases, the low 16 bits
    /// carry x (the layout test checks both against the macros with x = 0).</summary>
    public const uint ActErrnoBase = 0x00050000;
    public const uint ActTraceBase = 0x7ff00000;
    public const uint ActDataMask = 0x0000ffff;

    // enum scmp_filter_attr
    public const int SCMP_FLTATR_ACT_BADARCH = 2;
    public const int SCMP_FLTATR_CTL_NNP = 3;
    public const int SCMP_FLTATR_CTL_TSYNC = 4;
    public const int SCMP_FLTATR_CTL_LOG = 6;
    public const int SCMP_FLTATR_CTL_OPTIMIZE = 8;

    // enum scmp_compare
    public const int SCMP_CMP_NE = 1;
    public const int SCMP_CMP_LT = 2;
    public const int SCMP_CMP_LE = 3;
    public const int SCMP_CMP_EQ = 4;
    public const int SCMP_CMP_GE = 5;
    public const int SCMP_CMP_GT = 6;
    public const int SCMP_CMP_MASKED_EQ = 7;

    /// <summary>What seccomp_syscall_resolve_name returns for a name libseccomp does not know.</summary>
    public const int __NR_SCMP_ERROR = -1;

    /// <summary>One argument comparison (struct scmp_arg_cmp).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct scmp_arg_cmp
    {
        public uint arg;
        public int op;
        public ulong datum_a;
        public ulong datum_b;
    }

    /// <summary>A new filter context (scmp_filter_ctx), or null.</summary>
    [LibraryImport(LibSeccomp)]
    public static partial nint seccomp_init(uint def_action);

    [LibraryImport(LibSeccomp)]
    public static partial void seccomp_release(nint ctx);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_attr_set(nint ctx, int attr, uint value);

    /// <summary>The architecture's token (AUDIT_ARCH_*), 0 for an unknown name.</summary>
    [LibraryImport(LibSeccomp)]
    public static partial uint seccomp_arch_resolve_name(byte* arch_name);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_arch_add(nint ctx, uint arch_token);

    /// <summary>The native number, a negative pseudo number for a syscall only other architectures have (socketcall),
    /// or <see cref="__NR_SCMP_ERROR"/>.</summary>
    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_syscall_resolve_name(byte* name);

    /// <summary>As <see cref="seccomp_syscall_resolve_name"/>, for the architecture with the token <paramref name="arch_token"/>.</summary>
    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_syscall_resolve_name_arch(uint arch_token, byte* name);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_rule_add_array(nint ctx, uint action, int syscall, uint arg_cnt, scmp_arg_cmp* arg_array);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_load(nint ctx);

    /// <summary>Writes the program (struct sock_filter[]) to <paramref name="fd"/>.</summary>
    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_export_bpf(nint ctx, int fd);
}
