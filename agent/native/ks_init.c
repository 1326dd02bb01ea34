/*
 * ks-init: PID 1 of the KataSharp guest.
 *
 * Why C and not the agent itself: a .NET process that is PID 1 reaps every child with
 * waitpid(-1) and would steal the exit codes of container processes. So this tiny init
 * mounts the basics, starts katasharp-agent (a child subreaper that reaps its own containers),
 * reaps the orphans that reach PID 1, and ends the VM when the agent exits.
 *
 * Root filesystem: the kernel unpacks the initrd into "rootfs", whose mount has no parent, and
 * pivot_root refuses a caller whose root is such a mount (containers need pivot_root). So when "/"
 * is that initial ramfs, init binds it onto a directory of itself and makes the bind the root:
 * the same files, now on a mount with a parent.
 *
 * Read-only root: once /run, /tmp and /etc (the only places the agent writes) are tmpfs mounts,
 * the root's superblock is remounted read-only before the agent starts. Nothing in the guest can
 * then change the programs it runs as root (ks-spawn, the agent, the libraries), even through a
 * bind of "/" (a bind of a read-only superblock stays read-only whatever its mount flags say).
 *
 * Ending the VM: the guest runs without ACPI and is booted with reboot=k, so
 * reboot(RB_AUTOBOOT) resets through the i8042, which the VMM treats as "VM stopped".
 * Run outside PID 1 (tests: a new pid namespace), reboot() ends this namespace instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEW_ROOT "/.ks-root"
#define DEFAULT_AGENT "/usr/bin/katasharp-agent"

static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ks-init: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void mount_or_say(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
    mkdir(dst, 0755);
    if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
        say("mount %s failed: errno %d", dst, errno);
}

/* True when "/" is KataSharp's initrd (the marker comes from build-initrd.sh): only then may init
 * move its files or make it read-only; any other root (a test's, a real filesystem) is left alone. */
static int root_is_our_initrd(void) {
    struct statfs fs;
    return access("/.katasharp-initrd", F_OK) == 0 && statfs("/", &fs) == 0 && (fs.f_type == RAMFS_MAGIC || fs.f_type == TMPFS_MAGIC);
}

/* Gives "/" a parent mount without copying a byte: binds the initramfs's root onto a directory of itself, moves that
 * bind over "/" and enters it (what switch_root does with another filesystem). The files stay where the kernel unpacked
 * them; copying them into a tmpfs, as init did before, cost the guest about a second of its boot under nested
 * virtualization. The empty mount point left in the new root is removed. */
static void root_onto_bind(void) {
    mkdir(NEW_ROOT, 0755);
    if (mount("/", NEW_ROOT, NULL, MS_BIND, NULL) < 0) { say("binding the initramfs root: errno %d", errno); return; }
    if (chdir(NEW_ROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
        say("entering the bind of the initramfs root failed: errno %d", errno);
        return;
    }
    if (rmdir(NEW_ROOT) < 0) say("removing %s: errno %d", NEW_ROOT, errno);
}

static void enable_cgroup_controllers(void) {
    char list[512] = "", line[640] = "";
    int fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, list, sizeof list - 1);
    if (fd >= 0) close(fd);
    if (n <= 0) return;
    list[n] = 0;
    for (char *save = NULL, *c = strtok_r(list, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
        strcat(line, "+");
        strcat(line, c);
        strcat(line, " ");
    }
    fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, line, strlen(line)) < 0) say("enabling cgroup controllers '%s' failed: errno %d", line, errno);
    if (fd >= 0) close(fd);
}

static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) { say("loopback: query errno %d", errno); if (s >= 0) close(s); return; }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) say("loopback: up errno %d", errno);
    close(s);
}

/* The kernel gives init the console as 0-2 when the initrd has /dev/console; otherwise they are
 * closed, and the console is opened here once devtmpfs exists. */
static void console_stdio(void) {
    if (fcntl(2, F_GETFD) >= 0) return;
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd < 0) return;
    for (int i = 0; i < 3; i++) dup2(fd, i);
    if (fd > 2) close(fd);
}

static pid_t start_agent(const char *path) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    setsid();
    char *argv[] = { (char *)path, NULL };
    char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "DOTNET_gcServer=0", NULL };
    execve(path, argv, envp);
    say("exec %s failed: errno %d", path, errno);
    _exit(127);
}

int main(int argc, char **argv) {
    const char *agent = argc > 1 ? argv[1] : DEFAULT_AGENT;
    int own_root = getpid() == 1 && root_is_our_initrd();
    if (own_root) root_onto_bind();
    mount_or_say("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_or_say("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_or_say("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    console_stdio();
    mount_or_say("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666,gid=5");
    mount_or_say("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_or_say("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    mount_or_say("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_or_say("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate");
    enable_cgroup_controllers();
    loopback_up();
    if (own_root) {
        mount_or_say("tmpfs", "/etc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755"); /* resolv.conf */
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0) say("remounting / read-only failed: errno %d", errno);
    }

    pid_t agent_pid = start_agent(agent);
    for (;;) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0 && errno == EINTR) continue;
        if (pid == agent_pid || pid < 0) {
            int code = pid < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            say("agent exited (%d); ending the VM", code);
            break;
        }
    }
    sync();
    reboot(RB_AUTOBOOT);
    say("reboot failed: errno %d", errno);
    return 1;
}
