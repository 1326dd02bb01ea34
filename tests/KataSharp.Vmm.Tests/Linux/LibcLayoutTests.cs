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

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// The libc and uapi structs KataSharp.Linux lays out by hand, and the constants it types, checked field by field and
/// name by name against the system headers (see <see cref="CHeaderAssertions"/>: a mismatch names the struct and field
/// or the constant). The netlink, tun and bpf definitions have their own tests.
/// </summary>
public sealed class LibcLayoutTests
{
    [Fact]
    public void Vsock_address_msghdr_cmsghdr_and_the_cmsg_arithmetic_match_the_headers()
    {
        var c = new CHeaderAssertions("sys/socket.h", "sys/uio.h", "netinet/in.h", "linux/vm_sockets.h");
        c.Struct(typeof(SockaddrVm), cName: "sockaddr_vm");
        c.Assert($"VMADDR_CID_ANY == {StreamSocket.VsockAnyCid}u");
        c.Assert($"VMADDR_CID_HOST == {StreamSocket.VsockHostCid}");
        c.Struct(typeof(SocketCalls.IoVec), cName: "iovec");
        c.Struct(typeof(SocketCalls.MsgHdr), cName: "msghdr");
        c.Struct(typeof(SocketCalls.CmsgHdr), cName: "cmsghdr");
        c.Constants(typeof(SocketCalls), except: [nameof(SocketCalls.OneDescriptorControlSpace), nameof(SocketCalls.ControlDataOffset)]);
        c.Assert($"CMSG_SPACE(sizeof(int)) == {SocketCalls.OneDescriptorControlSpace}");
        c.Assert($"CMSG_LEN(0) == {SocketCalls.ControlDataOffset}");
        c.Compile();
    }

    [Fact]
    public void Siginfo_posix_spawn_sizes_and_the_wait_prctl_spawn_constants_match_the_headers()
    {
        var c = new CHeaderAssertions("signal.h", "sys/wait.h", "sys/prctl.h", "spawn.h");
        c.Typedef(typeof(ProcessCalls.SigInfo), "siginfo_t");
        c.Assert($"sizeof(posix_spawn_file_actions_t) == {ProcessCalls.FileActionsSize}");
        c.Assert($"sizeof(posix_spawnattr_t) == {ProcessCalls.SpawnAttrSize}");
        c.Assert($"sizeof(sigset_t) == {ProcessCalls.SigsetSize}");
        c.Constants(typeof(ProcessCalls),
            except: [nameof(ProcessCalls.FileActionsSize), nameof(ProcessCalls.SpawnAttrSize), nameof(ProcessCalls.SigsetSize)]);
        c.Constants(typeof(ProcessSignal));
        c.Constants(typeof(SignalNumber));
        c.Compile();
    }

    [Fact]
    public void Winsize_and_its_ioctls_match_the_headers()
    {
        var c = new CHeaderAssertions("sys/ioctl.h");
        c.Struct(typeof(TerminalCalls.WinSize), cName: "winsize");
        c.Constants(typeof(TerminalCalls));
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
    public void Fcntl_stat_mount_and_socket_flags_and_the_enums_named_after_them_match_the_glibc_headers()
    {
        var c = new CHeaderAssertions("fcntl.h", "sys/stat.h", "sys/mount.h", "sys/socket.h", "sys/epoll.h", "netinet/in.h");
        c.Constants(typeof(FcntlCalls));
        c.Constants(typeof(StatCalls));
        c.Constants(typeof(MountCalls));
        (Enum Value, string CName)[] members =
        [
            (OpenFlags.ReadOnly, "O_RDONLY"), (OpenFlags.WriteOnly, "O_WRONLY"), (OpenFlags.ReadWrite, "O_RDWR"),
            (OpenFlags.Exclusive, "O_EXCL"), (OpenFlags.NonBlocking, "O_NONBLOCK"),
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

    [Fact]
    public void Errno_values_match_errno_h()
    {
        var c = new CHeaderAssertions("errno.h");
        c.Constants(typeof(Errno));
        c.Compile();
    }
}
