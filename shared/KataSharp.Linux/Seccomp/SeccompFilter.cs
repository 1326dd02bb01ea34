using KataSharp.Linux.Files;
using KataSharp.Linux.Memory;
using static KataSharp.Linux.Interop.SeccompCalls;

namespace KataSharp.Linux.Seccomp;

/// <summary>
/// A seccomp filter built with libseccomp: a default action, rules by system call name (libseccomp's table, generated
/// from the kernel's headers, gives the numbers and the x86-64 ABI checks), then loaded into this process or exported
/// as BPF. Calls to other architectures' entry points (x32, i386) get <see cref="SeccompAction.KillProcess"/>, so a
/// 32-bit call can never take a way round an allowlist. Failures are <see cref="LinuxException"/>s naming the step.
/// </summary>
public sealed unsafe class SeccompFilter : IDisposable
{
    private IntPtr _context;

    public SeccompFilter(SeccompAction defaultAction)
    {
        _context = seccomp_init(defaultAction.Value);
        if (_context == IntPtr.Zero)
        {
            throw new LinuxException("seccomp_init", (int)Errno.EINVAL, "libseccomp refused the default action");
        }
        Check(seccomp_attr_set(_context, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "seccomp_attr_set(ACT_BADARCH)");
    }

    /// <summary>Whether libseccomp knows <paramref name="name"/> on x86-64.</summary>
    public static bool Knows(string name) => Resolve(name) != NR_SCMP_ERROR;

    /// <summary>Allows <paramref name="name"/> with any arguments.</summary>
    public SeccompFilter Allow(string name) => Add(SeccompAction.Allow, name);

    /// <summary>Adds a rule: <paramref name="action"/> for <paramref name="name"/> when every condition holds (conditions on
    /// different arguments are ANDed; libseccomp takes at most one per argument). An unknown name throws: a filter that
    /// silently lacks a rule is a filter nobody meant.</summary>
    public SeccompFilter Add(SeccompAction action, string name, params SeccompCondition[] conditions)
    {
        int number = Resolve(name);
        if (number == NR_SCMP_ERROR)
        {
            throw new LinuxException($"seccomp_syscall_resolve_name({name})", (int)Errno.EINVAL, "libseccomp knows no such system call on x86-64");
        }
        ScmpArgCmp* args = stackalloc ScmpArgCmp[Math.Max(1, conditions.Length)];
        for (int i = 0; i < conditions.Length; i++)
        {
            args[i] = new ScmpArgCmp { arg = (uint)conditions[i].Index, op = (int)conditions[i].Comparison, datum_a = conditions[i].Value, datum_b = conditions[i].ValueTwo };
        }
        Check(seccomp_rule_add_array(Context, action.Value, number, (uint)conditions.Length, args), $"seccomp_rule_add({name})");
        return this;
    }

    /// <summary>Loads into every thread of the process at once (SECCOMP_FILTER_FLAG_TSYNC) rather than the calling thread only.</summary>
    public SeccompFilter SetThreadSync(bool enabled)
    {
        Check(seccomp_attr_set(Context, SCMP_FLTATR_CTL_TSYNC, enabled ? 1u : 0u), "seccomp_attr_set(CTL_TSYNC)");
        return this;
    }

    /// <summary>Loads the filter (libseccomp sets no_new_privs first, which unprivileged loading requires).</summary>
    public void Load() => Check(seccomp_load(Context), "seccomp_load");

    /// <summary>The filter as classic BPF (struct sock_filter, 8 bytes an instruction).</summary>
    public byte[] ExportBpf()
    {
        using FileDescriptor memory = MemFd.Create("seccomp-bpf", 0);
        Check(seccomp_export_bpf(Context, memory.Value), "seccomp_export_bpf");
        byte[] program = new byte[memory.GetSize()];
        return memory.ReadAt(program, 0) == program.Length ? program : throw new LinuxException("seccomp_export_bpf", (int)Errno.EIO, "short read of the exported program");
    }

    public void Dispose()
    {
        IntPtr context = Interlocked.Exchange(ref _context, IntPtr.Zero);
        if (context != IntPtr.Zero)
        {
            seccomp_release(context);
        }
    }

    private IntPtr Context => _context != IntPtr.Zero ? _context : throw new ObjectDisposedException(nameof(SeccompFilter));

    private static int Resolve(string name)
    {
        byte[] cname = Interop.Libc.NullTerminated(name);
        fixed (byte* n = cname)
        {
            return seccomp_syscall_resolve_name(n);
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc < 0)
        {
            throw new LinuxException(call, -rc);
        }
    }
}
