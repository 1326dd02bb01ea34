using KataSharp.Linux.Seccomp;

namespace KataSharp.Confinement;

/// <summary>
/// The confined VMM's seccomp allowlist, loaded into every thread once the VM is built and the process confined, before
/// the first vCPU runs. Measured: what the NativeAOT runtime needs (threads, GC, signals for thread suspension, timers)
/// plus what the device model does on the descriptors it was handed (KVM and vhost ioctls, disk and tap I/O, eventfds,
/// epoll, unix sockets for vsock). Everything else — other socket families, namespaces, mounts, ptrace, bpf,
/// perf_event_open, keyrings, io_uring, userfaultfd, execve, new processes — kills the process. Calls that only name paths
/// (openat, unlink, readlink) stay allowed: the root is empty and read-only, and a runtime that probes a file must get
/// ENOENT rather than take the VM down.
/// </summary>
public static class VmmSeccompPolicy
{
    private const ulong CloneThread = 0x10000; // CLONE_THREAD
    private const ulong AfUnix = 1;
    private const uint Enosys = 38;

    /// <summary>prctl options the runtime uses: PR_SET_NAME and PR_GET_NAME (thread names), PR_GET_DUMPABLE, and
    /// PR_SET_VMA (naming anonymous memory). Not PR_SET_DUMPABLE: the process stays undumpable.</summary>
    private static readonly ulong[] PrctlOptions = [15, 16, 3, 0x53564d41];

    public static readonly IReadOnlyList<string> Allowed =
    [
        // descriptors and memory
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2", "lseek",
        "close", "close_range", "fstat", "stat", "lstat", "newfstatat", "statx", "fcntl", "dup", "dup3", "pipe2", "ioctl", "fsync",
        "fdatasync", "fallocate", "mmap", "munmap", "mprotect", "madvise", "mremap", "brk", "membarrier", "mincore",
        // paths (an empty, read-only root: these find nothing to use)
        "openat", "readlink", "readlinkat", "unlink", "unlinkat", "getcwd", "access", "faccessat", "faccessat2",
        // threads, signals, time
        "futex", "sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler", "set_robust_list",
        "get_robust_list", "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack",
        "tgkill", "tkill", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
        "getresgid", "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "restart_syscall",
        "exit", "exit_group", "getrandom", "uname", "sysinfo", "getrlimit", "prlimit64",
        // event loop and vsock's unix sockets
        "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "eventfd2",
        "timerfd_create", "timerfd_settime", "timerfd_gettime", "connect", "accept", "accept4", "bind", "listen",
        "sendmsg", "recvmsg", "sendto", "recvfrom", "shutdown", "getsockopt", "setsockopt", "getsockname", "getpeername",
    ];

    /// <summary>A name libseccomp does not know would be a rule nobody has: the allowlist is ours, so that is a bug.</summary>
    private static void Require(bool added, string name)
    {
        if (!added)
        {
            throw new InvalidOperationException($"the VMM's seccomp allowlist names '{name}', which libseccomp does not know on x86-64");
        }
    }

    /// <summary>The filter: <paramref name="refused"/> for anything outside the allowlist (kill, or log while measuring).</summary>
    public static SeccompFilter Build(SeccompAction refused)
    {
        var filter = new SeccompFilter(refused);
        try
        {
            foreach (string name in Allowed)
            {
                Require(filter.Allow(name), name);
            }
            // Threads only: a new process (fork, or clone without CLONE_THREAD) would escape the thread-synced filter's intent.
            Require(filter.Add(SeccompAction.Allow, "clone", SeccompCondition.MaskedEqual(0, CloneThread, CloneThread)), "clone");
            // clone3's flags are in memory seccomp cannot read: glibc falls back to clone on ENOSYS.
            Require(filter.Add(SeccompAction.Errno(Enosys), "clone3"), "clone3");
            Require(filter.Add(SeccompAction.Allow, "socket", SeccompCondition.Equal(0, AfUnix)), "socket");
            foreach (ulong option in PrctlOptions)
            {
                Require(filter.Add(SeccompAction.Allow, "prctl", SeccompCondition.Equal(0, option)), "prctl");
            }
            filter.SetThreadSync(true);
            return filter;
        }
        catch
        {
            filter.Dispose();
            throw;
        }
    }
}
