using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using KataSharp.Linux.Memory;
using static KataSharp.Linux.Interop.SeccompCalls;

namespace KataSharp.Linux.Seccomp;

/// <summary>
/// A seccomp filter built with libseccomp: a default action, rules by syscall name (libseccomp resolves names per
/// architecture from its own tables, taken from the kernel's), and attributes; then either loaded into this process
/// (<see cref="Load"/>) or exported as a classic BPF program (struct sock_filter[]) for another process to install
/// (<see cref="ExportBpf"/>). Failures throw <see cref="LinuxException"/> naming the libseccomp call and its errno.
/// Not thread-safe: one owner builds it, then loads or exports it.
/// </summary>
public sealed unsafe class SeccompFilter : IDisposable
{
    private nint _context;

    /// <summary>A filter for the native architecture whose syscalls without a matching rule get <paramref name="defaultAction"/>.
    /// libseccomp's defaults: a call from any other architecture kills the thread, and <see cref="Load"/> sets no_new_privs.</summary>
    public SeccompFilter(SeccompAction defaultAction)
    {
        DefaultAction = defaultAction;
        _context = seccomp_init(defaultAction.Value);
        if (_context == 0)
        {
            // seccomp_init returns NULL without an errno: an action the library rejects, or no memory.
            throw new LinuxException($"seccomp_init({defaultAction})", (int)Linux.Errno.EINVAL);
        }
    }

    public SeccompAction DefaultAction { get; }

    /// <summary>The native syscall number libseccomp knows for <paramref name="name"/> (negative for a syscall only other
    /// architectures have, e.g. socketcall on x86-64), or null for a name it does not know.</summary>
    public static int? ResolveSyscall(string name)
    {
        byte[] cname = Libc.NullTerminated(name);
        fixed (byte* p = cname)
        {
            int nr = seccomp_syscall_resolve_name(p);
            return nr == __NR_SCMP_ERROR ? null : nr;
        }
    }

    /// <summary>The number of <paramref name="name"/> on <paramref name="architecture"/> (libseccomp's name: x86, x32, ...)
    /// as that architecture's entry point sees it, or null when libseccomp knows no such syscall there.</summary>
    public static int? ResolveSyscall(string name, string architecture)
    {
        uint token = ResolveArchitecture(architecture) ?? throw new ArgumentException($"libseccomp knows no architecture '{architecture}'", nameof(architecture));
        byte[] cname = Libc.NullTerminated(name);
        fixed (byte* p = cname)
        {
            int nr = seccomp_syscall_resolve_name_arch(token, p);
            return nr == __NR_SCMP_ERROR ? null : nr;
        }
    }

    /// <summary>The audit token (AUDIT_ARCH_*) of an architecture by libseccomp's name (x86_64, x86, x32, aarch64, ...), or null.</summary>
    public static uint? ResolveArchitecture(string name)
    {
        byte[] cname = Libc.NullTerminated(name);
        fixed (byte* p = cname)
        {
            uint token = seccomp_arch_resolve_name(p);
            return token == 0 ? null : token;
        }
    }

    /// <summary>Also filters calls made through another architecture's entry point (x86 int 0x80, x32), with every rule
    /// added after this resolved for it too. False when the filter already covers it (the native one always does).</summary>
    public bool AddArchitecture(string name)
    {
        uint token = ResolveArchitecture(name) ?? throw new ArgumentException($"libseccomp knows no architecture '{name}'", nameof(name));
        int rc = seccomp_arch_add(Context, token);
        if (rc == -(int)Linux.Errno.EEXIST)
        {
            return false;
        }
        Check(rc, $"seccomp_arch_add({name})");
        return true;
    }

    /// <summary>Allows the syscall <paramref name="name"/>; false (nothing added) when libseccomp does not know the name.</summary>
    public bool Allow(string name) => Add(SeccompAction.Allow, name);

    /// <summary>
    /// Gives the syscall <paramref name="name"/> <paramref name="action"/> when every condition holds. False, with nothing
    /// added, when libseccomp does not know the name (a profile may list syscalls of newer kernels; runc skips those too).
    /// libseccomp refuses a rule whose action is the default action, and two conditions on one argument.
    /// </summary>
    public bool Add(SeccompAction action, string name, params SeccompCondition[] conditions)
    {
        if (ResolveSyscall(name) is not int nr)
        {
            return false;
        }
        var compares = new scmp_arg_cmp[conditions.Length];
        for (int i = 0; i < conditions.Length; i++)
        {
            SeccompCondition c = conditions[i];
            if (c.Argument >= SeccompCondition.MaxArguments)
            {
                throw new ArgumentOutOfRangeException(nameof(conditions), c.Argument, $"syscalls have arguments 0-{SeccompCondition.MaxArguments - 1}");
            }
            compares[i] = new scmp_arg_cmp { arg = c.Argument, op = (int)c.Comparison, datum_a = c.Value, datum_b = c.ValueTwo };
        }
        fixed (scmp_arg_cmp* p = compares)
        {
            Check(seccomp_rule_add_array(Context, action.Value, nr, (uint)compares.Length, p), $"seccomp_rule_add({name}, {action})");
        }
        return true;
    }

    /// <summary>TSYNC: <see cref="Load"/> applies the filter to every thread of the process, not only the calling one
    /// (a multi-threaded process, the VMM, must have all its threads confined).</summary>
    public void SetThreadSync(bool enabled) => SetAttribute(SCMP_FLTATR_CTL_TSYNC, enabled ? 1u : 0u, "SCMP_FLTATR_CTL_TSYNC");

    /// <summary>Whether <see cref="Load"/> sets no_new_privs first (libseccomp's default; without it, loading needs CAP_SYS_ADMIN).</summary>
    public void SetNoNewPrivileges(bool enabled) => SetAttribute(SCMP_FLTATR_CTL_NNP, enabled ? 1u : 0u, "SCMP_FLTATR_CTL_NNP");

    /// <summary>The action for a call from an architecture the filter does not cover (including x32 numbers on x86-64).</summary>
    public void SetBadArchitectureAction(SeccompAction action) => SetAttribute(SCMP_FLTATR_ACT_BADARCH, action.Value, "SCMP_FLTATR_ACT_BADARCH");

    /// <summary>Dispatch on the syscall number with a binary tree instead of a linear chain: far fewer instructions run per
    /// call for long rule lists, and the program stays inside the kernel's 4096 instructions (runc does this past 32 rules).</summary>
    public void SetBinaryTreeOptimization(bool enabled) => SetAttribute(SCMP_FLTATR_CTL_OPTIMIZE, enabled ? 2u : 1u, "SCMP_FLTATR_CTL_OPTIMIZE");

    /// <summary>Installs the filter in this process (the calling thread, or every thread with <see cref="SetThreadSync"/>).</summary>
    public void Load() => Check(seccomp_load(Context), "seccomp_load");

    /// <summary>The program as struct sock_filter bytes (8 per instruction), for seccomp(SECCOMP_SET_MODE_FILTER) in another process.</summary>
    public byte[] ExportBpf()
    {
        // libseccomp 2.5 exports only to a file descriptor: a memfd, read back whole.
        using FileDescriptor memory = MemFd.Create("seccomp-bpf", 0);
        Check(seccomp_export_bpf(Context, memory.Value), "seccomp_export_bpf");
        byte[] program = new byte[checked((int)memory.GetSize())];
        int read = memory.ReadAt(program, 0);
        if (read != program.Length)
        {
            throw new LinuxException("pread(seccomp-bpf memfd)", (int)Linux.Errno.EIO, $"read {read} of {program.Length} bytes");
        }
        return program;
    }

    public void Dispose()
    {
        if (_context != 0)
        {
            seccomp_release(_context);
            _context = 0;
        }
    }

    private nint Context => _context != 0 ? _context : throw new ObjectDisposedException(nameof(SeccompFilter));

    private void SetAttribute(int attribute, uint value, string name) =>
        Check(seccomp_attr_set(Context, attribute, value), $"seccomp_attr_set({name}, {value})");

    /// <summary>libseccomp returns -errno rather than setting errno.</summary>
    private static void Check(int rc, string call)
    {
        if (rc < 0)
        {
            throw new LinuxException(call, -rc);
        }
    }
}
