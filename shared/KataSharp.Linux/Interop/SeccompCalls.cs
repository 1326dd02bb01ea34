using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>seccomp.h (libseccomp 2.5): building a filter by syscall name and loading or exporting it. libseccomp's
/// own syscall table (generated from the kernel's headers) turns names into numbers; no number is typed here.</summary>
internal static unsafe partial class SeccompCalls
{
    private const string LibSeccomp = "libseccomp.so.2";

    public const uint SCMP_ACT_KILL_PROCESS = 0x80000000;
    public const uint SCMP_ACT_KILL_THREAD = 0x00000000;
    public const uint SCMP_ACT_TRAP = 0x00030000;
    public const uint SCMP_ACT_ERRNO_BASE = 0x00050000;
    public const uint SCMP_ACT_LOG = 0x7ffc0000;
    public const uint SCMP_ACT_ALLOW = 0x7fff0000;

    // enum scmp_filter_attr
    public const int SCMP_FLTATR_ACT_BADARCH = 2;
    public const int SCMP_FLTATR_CTL_NNP = 3;
    public const int SCMP_FLTATR_CTL_TSYNC = 4;

    // enum scmp_compare
    public const int SCMP_CMP_NE = 1;
    public const int SCMP_CMP_LT = 2;
    public const int SCMP_CMP_LE = 3;
    public const int SCMP_CMP_EQ = 4;
    public const int SCMP_CMP_GE = 5;
    public const int SCMP_CMP_GT = 6;
    public const int SCMP_CMP_MASKED_EQ = 7;

    /// <summary>__NR_SCMP_ERROR: a name libseccomp does not know.</summary>
    public const int NR_SCMP_ERROR = -1;

    [StructLayout(LayoutKind.Sequential)]
    public struct ScmpArgCmp
    {
        public uint arg;
        public int op;
        public ulong datum_a;
        public ulong datum_b;
    }

    [LibraryImport(LibSeccomp)]
    public static partial IntPtr seccomp_init(uint defaultAction);

    [LibraryImport(LibSeccomp)]
    public static partial void seccomp_release(IntPtr ctx);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_attr_set(IntPtr ctx, int attr, uint value);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_syscall_resolve_name(byte* name);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_rule_add_array(IntPtr ctx, uint action, int syscall, uint argCount, ScmpArgCmp* args);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_load(IntPtr ctx);

    [LibraryImport(LibSeccomp)]
    public static partial int seccomp_export_bpf(IntPtr ctx, int fd);
}
