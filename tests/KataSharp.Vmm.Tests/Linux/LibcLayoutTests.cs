using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using KataSharp.Linux.Memory;
using KataSharp.Linux.Mounts;
using KataSharp.Linux.Processes;
using KataSharp.Linux.Sockets;
using KataSharp.Linux.Threading;
using KataSharp.Vmm.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// The libc and uapi structs KataSharp.Linux lays out by hand, and the constants it types, checked field by field and
/// name by name against the system headers (see <see cref="CHeaderAssertions"/>: a mismatch names the struct and field
/// or the constant). The netlink, tun and bpf definitions have their own tests.
/// </summary>
public sealed class LibcLayoutTests(ITestOutputHelper output)
{
    [Fact]
    public void Socket_addresses_msghdr_cmsghdr_and_the_cmsg_arithmetic_match_the_headers()
    {
        var c = new CHeaderAssertions("sys/socket.h", "sys/un.h", "sys/uio.h", "netinet/in.h", "linux/vm_sockets.h");
        c.Struct(typeof(SockaddrVm), cName: "sockaddr_vm");
        c.Struct(typeof(SockaddrUn), cName: "sockaddr_un");
        c.Assert($"sizeof(((struct sockaddr_un *)0)->sun_path) == {SockaddrUn.PathLength}");
        // The getpeername buffer: room for any family's address.
        c.Assert($"sizeof(struct sockaddr_storage) == {SocketCalls.SockaddrStorageSize}");
        c.Assert($"VMADDR_CID_ANY == {StreamSocket.VsockAnyCid}u");
        c.Assert($"VMADDR_CID_HOST == {StreamSocket.VsockHostCid}");
        c.Struct(typeof(SocketCalls.IoVec), cName: "iovec");
        c.Struct(typeof(SocketCalls.MsgHdr), cName: "msghdr");
        c.Struct(typeof(SocketCalls.CmsgHdr), cName: "cmsghdr");
        c.Constants(typeof(SocketCalls),
            except: [nameof(SocketCalls.OneDescriptorControlSpace), nameof(SocketCalls.ControlDataOffset), nameof(SocketCalls.SockaddrStorageSize)]);
        c.Assert($"CMSG_SPACE(sizeof(int)) == {SocketCalls.OneDescriptorControlSpace}");
        c.Assert($"CMSG_LEN(0) == {SocketCalls.ControlDataOffset}");
        c.Compile();
    }

    [Fact]
    public void Rlimit_and_the_resource_limit_constants_match_sys_resource_h()
    {
        var c = new CHeaderAssertions("sys/resource.h");
        c.Struct(typeof(ResourceCalls.RLimit), cName: "rlimit");
        c.Constants(typeof(ResourceCalls));
        c.Compile();
    }

    [Fact]
    public void Siginfo_sigset_sigaction_posix_spawn_buffers_and_the_signal_wait_prctl_spawn_constants_match_the_headers()
    {
        var c = new CHeaderAssertions("signal.h", "sys/wait.h", "sys/prctl.h", "spawn.h");
        c.Typedef(typeof(SignalCalls.SigInfo), "siginfo_t");
        c.Typedef(typeof(SignalCalls.SigSet), "sigset_t");
        c.Assert("sizeof(((sigset_t *)0)->__val[0]) == sizeof(unsigned long long) /* the word CurrentSignalMask reads */");
        c.Struct(typeof(SignalCalls.SigAction), cName: "sigaction");
        c.Opaque(typeof(SpawnCalls.FileActions), "posix_spawn_file_actions_t");
        c.Opaque(typeof(SpawnCalls.SpawnAttr), "posix_spawnattr_t");
        c.Constants(typeof(SpawnCalls));
        c.Constants(typeof(WaitCalls));
        c.Constants(typeof(PrctlCalls));
        // SIG_DFL and SIG_IGN are function pointers in C: compared as the integers the C# side passes.
        c.Constants(typeof(SignalCalls), except: [nameof(SignalCalls.SIG_DFL), nameof(SignalCalls.SIG_IGN)]);
        c.Assert($"(long)SIG_DFL == {SignalCalls.SIG_DFL}");
        c.Assert($"(long)SIG_IGN == {SignalCalls.SIG_IGN}");
        c.Constants(typeof(ProcessSignal));
        c.Constants(typeof(SignalNumber));
        c.Compile();
    }

    /// <summary>
    /// <see cref="LinuxThread.CurrentSignalMask"/> hands KVM_SET_SIGNAL_MASK the first word of glibc's sigset_t as the
    /// kernel's 64-bit mask. Two checks of that: glibc's sigaddset puts signal n at bit n-1 of word 0 for every signal
    /// the kernel has (1..64), and, on a thread that blocked SIGUSR2, the word equals the mask the kernel itself reports
    /// (SigBlk in /proc/thread-self/status).
    /// </summary>
    [Fact]
    public unsafe void The_signal_mask_read_as_one_64_bit_word_is_the_kernels_mask()
    {
        for (int signal = 1; signal <= 64; signal++)
        {
            SignalCalls.SigSet set;
            Assert.Equal(0, SignalCalls.sigemptyset(&set));
            if (SignalCalls.sigaddset(&set, signal) != 0)
            {
                // glibc refuses its two internal real-time signals (SIGCANCEL, SIGSETXID) and nothing else.
                Assert.True(signal is 32 or 33, $"sigaddset refused signal {signal}");
                continue;
            }
            Assert.Equal(1UL << (signal - 1), set.__val[0]);
            for (int word = 1; word < 16; word++)
            {
                Assert.Equal(0UL, set.__val[word]);
            }
        }

        ulong mask = 0;
        string? kernel = null;
        // A thread of its own: blocking the signal changes the thread's mask for good.
        var thread = new Thread(() =>
        {
            LinuxThread.BlockSignal(SignalNumber.SIGUSR2);
            mask = LinuxThread.CurrentSignalMask();
            kernel = File.ReadAllLines("/proc/thread-self/status").Single(l => l.StartsWith("SigBlk:", StringComparison.Ordinal));
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the thread did not finish");
        Assert.NotEqual(0UL, mask & (1UL << (SignalNumber.SIGUSR2 - 1)));
        Assert.Equal(Convert.ToUInt64(kernel!["SigBlk:".Length..].Trim(), 16), mask);
    }

    [Fact]
    public void Winsize_and_its_ioctls_match_the_headers()
    {
        var c = new CHeaderAssertions("sys/ioctl.h");
        c.Struct(typeof(IoctlCalls.WinSize), cName: "winsize");
        c.Constants(typeof(IoctlCalls));
        c.Compile();
    }

    /// <summary>The kernel's struct termios (asm/termbits.h, what TCGETS/TCSETSW carry), not glibc's termios.h one.</summary>
    [Fact]
    public void The_kernels_termios_and_the_raw_mode_flags_match_the_headers()
    {
        var c = new CHeaderAssertions("sys/ioctl.h", "asm/termbits.h");
        c.Struct(typeof(TermbitsCalls.Termios), cName: "termios");
        c.Constants(typeof(TermbitsCalls));
        c.Compile();
    }

    [Fact]
    public void Open_how_inotify_event_time_structs_and_the_file_flags_match_the_headers()
    {
        var c = new CHeaderAssertions("time.h", "sys/time.h", "sys/timerfd.h", "sys/inotify.h", "sys/file.h", "linux/close_range.h", "linux/openat2.h");
        c.Struct(typeof(Openat2Calls.open_how));
        c.Constants(typeof(Openat2Calls));
        c.Struct(typeof(InotifyCalls.inotify_event));
        c.Constants(typeof(InotifyCalls));
        c.Struct(typeof(ClockCalls.Timespec), cName: "timespec");
        c.Struct(typeof(ClockCalls.Itimerspec), cName: "itimerspec");
        c.Struct(typeof(ClockCalls.Timeval), cName: "timeval");
        c.Constants(typeof(ClockCalls));
        c.Constants(typeof(TimerFdCalls));
        c.Constants(typeof(FileLockCalls));
        c.Constants(typeof(CloseRangeCalls));
        c.Compile();
    }

    [Fact]
    public void Stat_epoll_event_and_the_fcntl_stat_mman_mount_socket_flags_and_the_enums_named_after_them_match_the_glibc_headers()
    {
        // _GNU_SOURCE: O_PATH, F_ADD_SEALS/F_GET_SEALS and MAP_ANONYMOUS/MAP_NORESERVE are GNU or BSD extensions there.
        var c = new CHeaderAssertions("fcntl.h", "unistd.h", "sys/stat.h", "sys/mman.h", "sys/mount.h", "sys/socket.h", "sys/epoll.h",
            "sys/eventfd.h", "netinet/in.h") { GnuSource = true };
        c.Struct(typeof(StatCalls.Stat), cName: "stat");
        // Packed on x86-64: data at 4, 12 bytes in all (an unpacked C# struct would put it at 8 and be 16).
        c.Struct(typeof(EpollCalls.EpollEvent), cName: "epoll_event");
        c.Constants(typeof(FcntlCalls));
        c.Constants(typeof(UnistdCalls));
        c.Constants(typeof(StatCalls));
        c.Constants(typeof(MmanCalls));
        c.Constants(typeof(MountCalls));
        c.Constants(typeof(EpollCalls));
        c.Constants(typeof(EventFdCalls));
        c.Assert($"STDIN_FILENO == {StandardDescriptors.Stdin}");
        c.Assert($"STDOUT_FILENO == {StandardDescriptors.Stdout}");
        c.Assert($"STDERR_FILENO == {StandardDescriptors.Stderr}");
        (Enum Value, string CName)[] members =
        [
            (OpenFlags.ReadOnly, "O_RDONLY"), (OpenFlags.WriteOnly, "O_WRONLY"), (OpenFlags.ReadWrite, "O_RDWR"),
            (OpenFlags.Exclusive, "O_EXCL"), (OpenFlags.NonBlocking, "O_NONBLOCK"), (OpenFlags.Path, "O_PATH"), (OpenFlags.Directory, "O_DIRECTORY"),
            (MountFlags.ReadOnly, "MS_RDONLY"), (MountFlags.NoSuid, "MS_NOSUID"), (MountFlags.NoDev, "MS_NODEV"),
            (MountFlags.NoExec, "MS_NOEXEC"), (MountFlags.Synchronous, "MS_SYNCHRONOUS"), (MountFlags.Remount, "MS_REMOUNT"),
            (MountFlags.Mandlock, "MS_MANDLOCK"), (MountFlags.DirSync, "MS_DIRSYNC"), (MountFlags.NoSymFollow, "MS_NOSYMFOLLOW"),
            (MountFlags.NoAtime, "MS_NOATIME"), (MountFlags.NoDirAtime, "MS_NODIRATIME"), (MountFlags.Bind, "MS_BIND"),
            (MountFlags.Move, "MS_MOVE"), (MountFlags.Recursive, "MS_REC"), (MountFlags.Silent, "MS_SILENT"),
            (MountFlags.Unbindable, "MS_UNBINDABLE"), (MountFlags.Private, "MS_PRIVATE"), (MountFlags.Slave, "MS_SLAVE"),
            (MountFlags.Shared, "MS_SHARED"), (MountFlags.RelAtime, "MS_RELATIME"), (MountFlags.StrictAtime, "MS_STRICTATIME"),
            (MountFlags.LazyTime, "MS_LAZYTIME"),
            (SocketShutdown.Receive, "SHUT_RD"), (SocketShutdown.Send, "SHUT_WR"), (SocketShutdown.Both, "SHUT_RDWR"),
            (EpollEvents.In, "EPOLLIN"), (EpollEvents.Pri, "EPOLLPRI"), (EpollEvents.Out, "EPOLLOUT"), (EpollEvents.Err, "EPOLLERR"),
            (EpollEvents.Hup, "EPOLLHUP"), (EpollEvents.RdHup, "EPOLLRDHUP"), (EpollEvents.EdgeTriggered, "EPOLLET"),
        ];
        foreach ((Enum value, string cName) in members)
        {
            c.Assert($"(long long){cName} == {Convert.ToInt64(value)}LL /* {value.GetType().Name}.{value} */");
        }
        c.Compile();
    }

    [Fact]
    public void Memfd_seals_and_namespace_numbers_match_the_kernel_headers()
    {
        // The uapi headers, not glibc's: these live behind _GNU_SOURCE there.
        var c = new CHeaderAssertions("linux/fcntl.h", "linux/memfd.h", "linux/sched.h", "linux/nsfs.h");
        c.Constants(typeof(MemFdCalls), except: nameof(MemFdCalls.MFD_EXEC));
        // MFD_EXEC came with Linux 6.3's uapi (include/uapi/linux/memfd.h: MFD_NOEXEC_SEAL 0x0008U, MFD_EXEC 0x0010U).
        // Headers that have it decide; older ones (Debian 12's linux-libc-dev 6.1) cannot, and the test says so and
        // holds the value to that uapi line instead.
        if (c.Defines("MFD_EXEC"))
        {
            c.Assert($"MFD_EXEC == {MemFdCalls.MFD_EXEC}u");
        }
        else
        {
            output.WriteLine("linux/memfd.h here has no MFD_EXEC (headers older than Linux 6.3): MemFdCalls.MFD_EXEC is "
                + "checked against the 6.3 uapi value 0x0010 instead of the header");
            Assert.Equal(0x0010u, MemFdCalls.MFD_EXEC);
        }
        c.Constants(typeof(NamespaceCalls));
        (Enum Value, string CName)[] members =
        [
            (MemFdSeals.Seal, "F_SEAL_SEAL"), (MemFdSeals.Shrink, "F_SEAL_SHRINK"), (MemFdSeals.Grow, "F_SEAL_GROW"),
            (MemFdSeals.Write, "F_SEAL_WRITE"),
        ];
        foreach ((Enum value, string cName) in members)
        {
            c.Assert($"{cName} == {Convert.ToInt64(value)}LL /* {value.GetType().Name}.{value} */");
        }
        c.Compile();
    }

    /// <summary>
    /// <see cref="FileNode.From"/> splits st_rdev itself; glibc's major()/minor() (gnu_dev_major/gnu_dev_minor, inline
    /// functions that _Static_assert cannot evaluate) are run in a C program over device numbers made by
    /// gnu_dev_makedev, the wide ones included (12-bit majors and 20-bit minors are the kernel's today, but dev_t has
    /// room for 32 bits of each), and FileNode must agree on every one.
    /// </summary>
    [Fact]
    public void FileNode_splits_st_rdev_as_glibcs_major_and_minor_do()
    {
        (uint Major, uint Minor)[] devices =
        [
            (0, 0), (1, 3), (8, 0), (8, 17), (259, 1), (0xfff, 0xff), (0x1000, 0x100), (0xfff, 0xfffff), (0x12345, 0xabcdef),
            (0xfffff, 0x100000), (0xffffffff, 0xffffffff), (0x80000000, 0x80000000), (0xdeadbeef, 0x12345678),
        ];
        string body = "int main(void) {\n"
            + string.Concat(devices.Select(d =>
                $"  {{ dev_t d = gnu_dev_makedev({d.Major}u, {d.Minor}u); printf(\"%llu %u %u\\n\", (unsigned long long)d, gnu_dev_major(d), gnu_dev_minor(d)); }}\n"))
            + "  return 0;\n}\n";
        string[] lines = CHeaderAssertions.RunProgram(body, "stdio.h", "sys/types.h", "sys/sysmacros.h")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(devices.Length, lines.Length);
        for (int i = 0; i < devices.Length; i++)
        {
            string[] fields = lines[i].Split(' ');
            ulong rdev = ulong.Parse(fields[0]);
            (uint major, uint minor) = (uint.Parse(fields[1]), uint.Parse(fields[2]));
            Assert.Equal(devices[i], (major, minor)); // glibc's own round trip
            foreach (uint type in new[] { StatCalls.S_IFBLK, StatCalls.S_IFCHR })
            {
                FileNode node = FileNode.From(type | 0x1b6, rdev);
                Assert.True((node.DeviceMajor, node.DeviceMinor) == (major, minor),
                    $"rdev 0x{rdev:x}: FileNode says {node.DeviceMajor}:{node.DeviceMinor}, glibc {major}:{minor}");
            }
        }
    }

    [Fact]
    public void Errno_values_match_errno_h()
    {
        var c = new CHeaderAssertions("errno.h");
        c.Constants(typeof(Errno));
        c.Compile();
    }
}
