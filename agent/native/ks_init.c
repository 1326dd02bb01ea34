/*
 * ks-init: PID 1 of the KataSharp guest.
 *
 * Why C and not the agent itself: a .NET process that is PID 1 reaps every child with
 * waitpid(-1) and would steal the exit codes of container processes. So this tiny init
 * mounts the basics, starts katasharp-agent (a child subreaper that reaps its own containers),
 * reaps the orphans that reach PID 1, and ends the VM when the agent exits.
 *
 * Root filesystem: the kernel unpacks the initrd into "rootfs", which can never be
 * pivot_root'ed away (it has no parent mount), and containers need pivot_root. So when "/" is
 * that initial ramfs, init moves its files into a tmpfs and makes it the root (as switch_root
 * does), freeing the initramfs copy as it goes.
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
#include <dirent.h>
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

/* Moves the tree at dirfd `from` into dirfd `to`: copy, then unlink the original at once so
 * peak memory stays at one file. Entries of other filesystems (mount points) are skipped. */
static int move_tree(int from, int to, dev_t dev) {
    DIR *dir = fdopendir(dup(from));
    if (!dir) return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(dir))) {
        const char *n = e->d_name;
        struct stat st;
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, NEW_ROOT + 1)) continue;
        if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev) continue;
        if (S_ISDIR(st.st_mode)) {
            mkdirat(to, n, st.st_mode & 07777);
            int a = openat(from, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC), b = openat(to, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            rc |= (a < 0 || b < 0) ? -1 : move_tree(a, b, dev);
            if (a >= 0) close(a);
            if (b >= 0) close(b);
            unlinkat(from, n, AT_REMOVEDIR);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t len = readlinkat(from, n, target, sizeof target - 1);
            if (len >= 0) { target[len] = 0; rc |= symlinkat(target, to, n); }
            unlinkat(from, n, 0);
        } else if (S_ISREG(st.st_mode)) {
            int in = openat(from, n, O_RDONLY | O_CLOEXEC);
            int out = openat(to, n, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
            char buf[65536];
            ssize_t r;
            while (in >= 0 && out >= 0 && (r = read(in, buf, sizeof buf)) > 0)
                if (write(out, buf, (size_t)r) != r) { rc = -1; break; }
            if (in < 0 || out < 0) rc = -1;
            if (in >= 0) close(in);
            if (out >= 0) close(out);
            unlinkat(from, n, 0);
        } else {
            rc |= mknodat(to, n, st.st_mode, st.st_rdev);
            unlinkat(from, n, 0);
        }
    }
    closedir(dir);
    return rc;
}

/* True when "/" is KataSharp's initrd (the marker comes from build-initrd.sh): only then may init
 * move its files or make it read-only; any other root (a test's, a real filesystem) is left alone. */
static int root_is_our_initrd(void) {
    struct statfs fs;
    return access("/.katasharp-initrd", F_OK) == 0 && statfs("/", &fs) == 0 && (fs.f_type == RAMFS_MAGIC || fs.f_type == TMPFS_MAGIC);
}

static void leave_initramfs(void) {
    struct stat root;
    if (stat("/", &root) < 0) return;
    mkdir(NEW_ROOT, 0755);
    if (mount("tmpfs", NEW_ROOT, "tmpfs", 0, "mode=0755") < 0) { say("tmpfs root: errno %d", errno); return; }
    int from = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), to = open(NEW_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (move_tree(from, to, root.st_dev) < 0) say("moving the initramfs into tmpfs was incomplete (errno %d)", errno);
    close(from);
    close(to);
    if (chdir(NEW_ROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
        say("switching root to tmpfs failed: errno %d", errno);
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
    if (own_root) leave_initramfs();
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
