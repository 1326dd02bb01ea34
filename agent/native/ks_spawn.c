/*
 * ks-spawn: the post-fork side of container process creation for katasharp-agent.
 *
 * Why a separate, single-threaded executable (started by the agent with posix_spawn):
 * a .NET process is always multi-threaded, so it may not fork and run managed code, and it
 * cannot setns() into a mount namespace (threads share fs context). This program is fresh and
 * single-threaded: it reads a flat, already-validated plan (built by the agent's ContainerPlan)
 * and does only syscalls. The container process is cloned with CLONE_PARENT so the agent, not
 * ks-spawn, is its parent and reaper.
 *
 * fds: 0-2 the process's stdio, 3 the plan (TLV records), 4 the status pipe (records back to
 * the agent, close-on-exec in the end, so EOF = execve succeeded), 5 the start pipe (create
 * mode: one byte = go ahead and execve), 6 a unix socket for the pty master (terminal: the pty is
 * made in the container's own devpts, as runc does, so `tty` inside names it).
 * Status record: { int32 kind; int32 value; int32 step; int32 index } (see ks_spawn.h tags).
 *
 * /proc/PID/exe (CVE-2019-5736): a container process that reaches this program's file through
 * /proc/PID/exe of a ks-spawn (or of its clone, before execve) could overwrite the helper the
 * agent runs as guest root. So ks-spawn makes itself non-dumpable before anything else (nobody
 * without CAP_SYS_PTRACE may open its /proc/PID/exe, and the clone inherits that), and the agent
 * executes it from a sealed memfd (ProcessLauncher), never from the guest's (read-only) root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "ks_spawn.h"

#define PLAN_FD 3
#define STATUS_FD 4
#define START_FD 5
#define PTY_FD 6
#define MAX_ITEMS 512

typedef struct { const uint8_t *p; uint32_t len; } item_t;

static struct {
    uint32_t mode, root_readonly, nnp, terminal, has_uid, uid, gid, umask_set, umask_val, caps_set;
    uint64_t clone_flags, root_propagation, caps[5];
    int32_t oom_score_adj; int has_oom;
    const char *cgroup_procs, *rootfs, *hostname, *cwd;
    item_t seccomp, groups;
    item_t mounts[MAX_ITEMS], masked[MAX_ITEMS], readonly[MAX_ITEMS], sysctls[MAX_ITEMS];
    item_t devices[MAX_ITEMS], symlinks[MAX_ITEMS], rlimits[MAX_ITEMS], joins[MAX_ITEMS];
    char *args[MAX_ITEMS * 8], *env[MAX_ITEMS * 8];
    int n_mounts, n_masked, n_readonly, n_sysctls, n_devices, n_symlinks, n_rlimits, n_joins, n_args, n_env;
} plan;

static void report(int32_t kind, int32_t value, int32_t step, int32_t index) {
    int32_t rec[4] = { kind, value, step, index };
    while (write(STATUS_FD, rec, sizeof rec) < 0 && errno == EINTR) {}
}

static void fail(int step, int index) {
    report(KS_STATUS_ERROR, errno ? errno : EINVAL, step, index);
    _exit(KS_EXIT_SETUP_FAILED);
}

#define CHECK(expr, step, index) do { if ((expr) < 0) fail(step, index); } while (0)

static uint64_t u64_at(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t u32_at(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void add(item_t *list, int *n, const uint8_t *p, uint32_t len) {
    if (*n >= MAX_ITEMS) { errno = E2BIG; fail(KS_STEP_READ_PLAN, *n); }
    list[(*n)++] = (item_t){ p, len };
}

/* Reads fd 3 whole and indexes the records; strings arrive NUL-terminated from the agent. */
static void read_plan(void) {
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (len == cap && !(buf = realloc(buf, cap *= 2))) fail(KS_STEP_READ_PLAN, 0);
        if (!buf) fail(KS_STEP_READ_PLAN, 0);
        ssize_t n = read(PLAN_FD, buf + len, cap - len);
        if (n < 0 && errno == EINTR) continue;
        CHECK(n, KS_STEP_READ_PLAN, 0);
        if (n == 0) break;
        len += (size_t)n;
    }
    close(PLAN_FD);
    for (size_t off = 0; off + 8 <= len;) {
        uint32_t tag = u32_at(buf + off), n = u32_at(buf + off + 4);
        const uint8_t *p = buf + off + 8;
        if (n > len - off - 8) { errno = EINVAL; fail(KS_STEP_READ_PLAN, (int)off); }
        off += 8 + n;
        switch (tag) {
        case KS_TAG_MODE: plan.mode = u32_at(p); break;
        case KS_TAG_CLONE_FLAGS: plan.clone_flags = u64_at(p); break;
        case KS_TAG_JOIN_NS: add(plan.joins, &plan.n_joins, p, n); break;
        case KS_TAG_CGROUP_PROCS: plan.cgroup_procs = (const char *)p; break;
        case KS_TAG_ROOTFS: plan.rootfs = (const char *)p; break;
        case KS_TAG_ROOT_READONLY: plan.root_readonly = u32_at(p); break;
        case KS_TAG_ROOT_PROPAGATION: plan.root_propagation = u64_at(p); break;
        case KS_TAG_MOUNT: add(plan.mounts, &plan.n_mounts, p, n); break;
        case KS_TAG_MASKED: add(plan.masked, &plan.n_masked, p, n); break;
        case KS_TAG_READONLY_PATH: add(plan.readonly, &plan.n_readonly, p, n); break;
        case KS_TAG_SYSCTL: add(plan.sysctls, &plan.n_sysctls, p, n); break;
        case KS_TAG_HOSTNAME: plan.hostname = (const char *)p; break;
        case KS_TAG_RLIMIT: add(plan.rlimits, &plan.n_rlimits, p, n); break;
        case KS_TAG_USER: plan.has_uid = 1; plan.uid = u32_at(p); plan.gid = u32_at(p + 4); break;
        case KS_TAG_GROUPS: plan.groups = (item_t){ p, n }; break;
        case KS_TAG_UMASK: plan.umask_set = 1; plan.umask_val = u32_at(p); break;
        case KS_TAG_CAPS: plan.caps_set = 1; memcpy(plan.caps, p, sizeof plan.caps); break;
        case KS_TAG_NO_NEW_PRIVS: plan.nnp = u32_at(p); break;
        case KS_TAG_SECCOMP: plan.seccomp = (item_t){ p, n }; break;
        case KS_TAG_CWD: plan.cwd = (const char *)p; break;
        case KS_TAG_ARG: if (plan.n_args < MAX_ITEMS * 8 - 1) plan.args[plan.n_args++] = (char *)p; break;
        case KS_TAG_ENV: if (plan.n_env < MAX_ITEMS * 8 - 1) plan.env[plan.n_env++] = (char *)p; break;
        case KS_TAG_TERMINAL: plan.terminal = u32_at(p); break;
        case KS_TAG_OOM_SCORE_ADJ: plan.has_oom = 1; plan.oom_score_adj = (int32_t)u32_at(p); break;
        case KS_TAG_DEVICE: add(plan.devices, &plan.n_devices, p, n); break;
        case KS_TAG_SYMLINK: add(plan.symlinks, &plan.n_symlinks, p, n); break;
        default: errno = ENOTSUP; fail(KS_STEP_READ_PLAN, (int)tag);
        }
    }
    if (plan.n_args == 0) { errno = EINVAL; fail(KS_STEP_READ_PLAN, -1); }
}

static int open_in_root(int root, const char *path, int flags, mode_t mode) {
    struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode,
                            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, root, path, &how, sizeof how);
}

/* Opens `path` (relative to the container root, symlinks resolved inside it) as O_PATH,
 * creating missing directories, and the last component as a file when `as_file`. */
static int make_in_root(int root, const char *path, int as_file, int step, int index) {
    char prefix[4096];
    size_t len = strlen(path);
    if (len >= sizeof prefix) { errno = ENAMETOOLONG; fail(step, index); }
    int parent = dup(root);
    for (size_t i = 0; i <= len; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        if (i == 0 || path[i - 1] == '/') continue;
        memcpy(prefix, path, i); prefix[i] = 0;
        int last = path[i] == 0 || (path[i] == '/' && path[i + 1] == 0);
        int fd = open_in_root(root, prefix, O_PATH | (last && as_file ? 0 : O_DIRECTORY), 0);
        if (fd < 0 && errno == ENOENT) {
            const char *name = strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix;
            if (last && as_file) {
                fd = openat(parent, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd >= 0) { close(fd); fd = openat(parent, name, O_PATH | O_CLOEXEC | O_NOFOLLOW); }
            } else if (mkdirat(parent, name, 0755) == 0 || errno == EEXIST) {
                fd = open_in_root(root, prefix, O_PATH | O_DIRECTORY, 0);
            }
        }
        CHECK(fd, step, index);
        close(parent);
        parent = fd;
    }
    return parent;
}

static void fd_path(char *out, int fd) { snprintf(out, 64, "/proc/self/fd/%d", fd); }

/* The directory that holds `path` (relative to the container root, resolved inside it, created
 * if missing) as a directory fd, and the last component in *name, for the *at calls: no path
 * string built from the root's name, so a symlink in the image cannot lead outside it. */
static int open_parent_in_root(int root, const char *path, const char **name, int step, int index) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 0, path);
    *name = slash ? slash + 1 : path;
    int parent = *dir ? make_in_root(root, dir, 0, step, index) : dup(root);
    CHECK(parent, step, index);
    int dirfd = openat(parent, ".", O_DIRECTORY | O_CLOEXEC);
    CHECK(dirfd, step, index);
    close(parent);
    return dirfd;
}

static int is_device(const struct stat *st, uint32_t mode, dev_t dev) {
    return (st->st_mode & S_IFMT) == (mode & S_IFMT) && st->st_rdev == dev;
}

/* A device node from the plan. An entry already there (from the image) is kept only if it is this
 * very device; anything else is replaced, never followed: chmod/chown through an image's symlink
 * would change a file of the guest. Ownership and mode are set on the node itself (O_PATH). */
static void make_device(int root, int i) {
    const uint8_t *p = plan.devices[i].p;
    uint32_t mode = u32_at(p), uid = u32_at(p + 12), gid = u32_at(p + 16);
    dev_t dev = makedev(u32_at(p + 4), u32_at(p + 8));
    const char *name;
    int dirfd = open_parent_in_root(root, (const char *)p + 20, &name, KS_STEP_DEVICE, i);
    struct stat st;
    if (mknodat(dirfd, name, mode, dev) < 0) {
        if (errno != EEXIST) fail(KS_STEP_DEVICE, i);
        CHECK(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), KS_STEP_DEVICE, i);
        if (!is_device(&st, mode, dev)) {
            CHECK(unlinkat(dirfd, name, 0), KS_STEP_DEVICE, i); /* a directory: EISDIR */
            CHECK(mknodat(dirfd, name, mode, dev), KS_STEP_DEVICE, i);
        }
    }
    int node = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    CHECK(node, KS_STEP_DEVICE, i);
    CHECK(fstat(node, &st), KS_STEP_DEVICE, i);
    if (!is_device(&st, mode, dev)) { errno = EEXIST; fail(KS_STEP_DEVICE, i); }
    char path[64];
    fd_path(path, node);
    CHECK(fchownat(node, "", uid, gid, AT_EMPTY_PATH), KS_STEP_DEVICE, i);
    CHECK(chmod(path, mode & 07777), KS_STEP_DEVICE, i); /* the magic link names the node itself */
    close(node);
    close(dirfd);
}

static void do_mounts(int root) {
    char target[64];
    for (int i = 0; i < plan.n_mounts; i++) {
        const uint8_t *p = plan.mounts[i].p;
        uint64_t flags = u64_at(p), propagation = u64_at(p + 8);
        uint32_t is_file = u32_at(p + 16);
        const char *src = (const char *)p + 20, *dst = src + strlen(src) + 1;
        const char *type = dst + strlen(dst) + 1, *data = type + strlen(type) + 1;
        int fd = make_in_root(root, dst, is_file, KS_STEP_MOUNT, i);
        fd_path(target, fd);
        unsigned long first = (flags & MS_BIND) ? (flags & (MS_BIND | MS_REC)) : flags;
        CHECK(mount(src, target, *type ? type : NULL, first, *data ? data : NULL), KS_STEP_MOUNT, i);
        /* The fd still names what the mount now covers: a remount or a propagation change through
           it would reach the old inode (EINVAL). Reopen the path to get the new mount. */
        int remount = (flags & MS_BIND) && (flags & ~(unsigned long)(MS_BIND | MS_REC));
        if (remount || propagation) {
            close(fd); fd = make_in_root(root, dst, is_file, KS_STEP_MOUNT, i); fd_path(target, fd);
        }
        /* A bind ignores every other flag until a remount of the new mount applies them. */
        if (remount) CHECK(mount(NULL, target, NULL, (flags & ~(unsigned long)MS_REC) | MS_REMOUNT, NULL), KS_STEP_MOUNT, i);
        if (propagation) CHECK(mount(NULL, target, NULL, propagation, NULL), KS_STEP_MOUNT, i);
        close(fd);
    }
    for (int i = 0; i < plan.n_devices; i++) make_device(root, i);
    for (int i = 0; i < plan.n_symlinks; i++) {
        const char *target = (const char *)plan.symlinks[i].p, *link = target + strlen(target) + 1, *name;
        int dirfd = open_parent_in_root(root, link, &name, KS_STEP_SYMLINK, i);
        if (symlinkat(target, dirfd, name) < 0 && errno != EEXIST) fail(KS_STEP_SYMLINK, i);
        close(dirfd);
    }
}

static void write_file(const char *path, const char *value, int step, int index) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    CHECK(fd, step, index);
    CHECK(write(fd, value, strlen(value)), step, index);
    close(fd);
}

/* The mount that holds the container root (the root's own mount when it is one) becomes private, as
 * runc's rootfsParentMountPrivate does: after a shared root propagation ("shared"/"rshared") it is
 * shared, and pivot_root refuses a new root that is, or whose parent is, shared (EINVAL); the bind of
 * the root onto itself then starts private too, so nothing of the root's setup propagates out.
 * MS_PRIVATE on a path that is not a mount point is EINVAL: walk up to the one that is. */
static void make_root_mount_private(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s", plan.rootfs);
    while (mount(NULL, path, NULL, MS_PRIVATE, NULL) < 0) {
        char *slash = strrchr(path, '/');
        if (errno != EINVAL || !slash || slash == path) fail(KS_STEP_ROOT_PROPAGATION, 1);
        *slash = 0;
    }
}

/* The container's mounts and its new root: everything up to pivot_root. What protects paths inside
 * it (masked, read-only, a read-only root) comes later, in protect_paths: runc writes hostname and
 * sysctls in between, through the container's own /proc, and /proc/sys is one of CRI's read-only paths. */
static void enter_root(void) {
    CHECK(mount(NULL, "/", NULL, MS_REC | (plan.root_propagation ? plan.root_propagation : MS_SLAVE), NULL), KS_STEP_ROOT_PROPAGATION, 0);
    make_root_mount_private();
    CHECK(mount(plan.rootfs, plan.rootfs, NULL, MS_BIND | MS_REC, NULL), KS_STEP_ROOTFS_BIND, 0);
    int root = open(plan.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(root, KS_STEP_ROOTFS_BIND, 0);
    do_mounts(root);
    close(root);
    int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    CHECK(old_root, KS_STEP_PIVOT_ROOT, 0);
    CHECK(chdir(plan.rootfs), KS_STEP_PIVOT_ROOT, 0);
    CHECK(syscall(SYS_pivot_root, ".", "."), KS_STEP_PIVOT_ROOT, 1);
    /* The old root may be shared (a shared root propagation): as a slave its detach below cannot
     * propagate an unmount to a peer. */
    CHECK(fchdir(old_root), KS_STEP_PIVOT_ROOT, 2);
    close(old_root);
    CHECK(mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL), KS_STEP_PIVOT_ROOT, 2);
    CHECK(umount2(".", MNT_DETACH), KS_STEP_PIVOT_ROOT, 2);
    CHECK(chdir("/"), KS_STEP_PIVOT_ROOT, 3);
}

static void protect_paths(void) {
    /* Masked files get /dev/null bound over them, so it must be the null device and not whatever
     * the image put there. Nothing else runs in this mount namespace yet: the check holds for the binds. */
    if (plan.n_masked > 0) {
        struct stat st;
        int found = lstat("/dev/null", &st) == 0;
        if (!found && errno != ENOENT) fail(KS_STEP_CHECK_DEV_NULL, 0);
        if (!found || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) { errno = ENODEV; fail(KS_STEP_CHECK_DEV_NULL, 0); }
    }
    for (int i = 0; i < plan.n_masked; i++) {
        const char *path = (const char *)plan.masked[i].p;
        struct stat st;
        if (stat(path, &st) < 0) { if (errno == ENOENT) continue; fail(KS_STEP_MASK_PATH, i); }
        if (S_ISDIR(st.st_mode)) CHECK(mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0"), KS_STEP_MASK_PATH, i);
        else CHECK(mount("/dev/null", path, NULL, MS_BIND, NULL), KS_STEP_MASK_PATH, i);
    }
    for (int i = 0; i < plan.n_readonly; i++) {
        const char *path = (const char *)plan.readonly[i].p;
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) { if (errno == ENOENT) continue; fail(KS_STEP_READONLY_PATH, i); }
        CHECK(mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), KS_STEP_READONLY_PATH, i);
    }
    if (plan.root_readonly) CHECK(mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), KS_STEP_ROOT_READONLY, 0);
}

/* execvpe's search, done before waiting for start so a missing binary fails CreateContainer. */
static const char *resolve_executable(char *buf, size_t size) {
    const char *file = plan.args[0], *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (strchr(file, '/')) { if (access(file, X_OK) < 0) fail(KS_STEP_RESOLVE_EXECUTABLE, 0); return file; }
    for (int i = 0; i < plan.n_env; i++) if (!strncmp(plan.env[i], "PATH=", 5)) path = plan.env[i] + 5;
    int saved = ENOENT;
    for (const char *p = path; ; p = strchr(p, ':') + 1) {
        size_t dirlen = strchr(p, ':') ? (size_t)(strchr(p, ':') - p) : strlen(p);
        snprintf(buf, size, "%.*s%s%s", (int)dirlen, p, dirlen ? "/" : "", file);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) { if (access(buf, X_OK) == 0) return buf; saved = EACCES; }
        if (!strchr(p, ':')) break;
    }
    errno = saved;
    fail(KS_STEP_RESOLVE_EXECUTABLE, 0);
    return NULL;
}

static void install_seccomp(void) {
    if (!plan.seccomp.len) return;
    struct sock_fprog prog = { .len = (unsigned short)(plan.seccomp.len / sizeof(struct sock_filter)),
                               .filter = (struct sock_filter *)plan.seccomp.p };
    CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), KS_STEP_SECCOMP, 0);
}

static void set_credentials(void) {
    if (plan.caps_set) {
        int last = 40;
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        if (f) { if (fscanf(f, "%d", &last) != 1) last = 40; fclose(f); }
        for (int cap = 0; cap <= last; cap++)
            if (!(plan.caps[0] & (1ULL << cap))) CHECK(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), KS_STEP_CAPS_BOUNDING, cap);
    }
    if (plan.has_uid) {
        CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), KS_STEP_UID, 0);
        CHECK(setgroups(plan.groups.len / 4, (const gid_t *)plan.groups.p), KS_STEP_GROUPS, 0);
        CHECK(setresgid(plan.gid, plan.gid, plan.gid), KS_STEP_GID, 0);
        CHECK(setresuid(plan.uid, plan.uid, plan.uid), KS_STEP_UID, 0);
        CHECK(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), KS_STEP_UID, 1);
    }
    if (plan.caps_set) {
        struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2];
        for (int i = 0; i < 2; i++) {
            data[i].effective = (uint32_t)(plan.caps[1] >> (32 * i));
            data[i].inheritable = (uint32_t)(plan.caps[2] >> (32 * i));
            data[i].permitted = (uint32_t)(plan.caps[3] >> (32 * i));
        }
        CHECK(syscall(SYS_capset, &header, data), KS_STEP_CAPSET, 0);
        CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), KS_STEP_CAPS_AMBIENT, -1);
        for (int cap = 0; cap < 64; cap++)
            if (plan.caps[4] & (1ULL << cap)) CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0), KS_STEP_CAPS_AMBIENT, cap);
    }
}

/* A pty from the process's own /dev/ptmx: the slave becomes 0-2, the master goes to the agent. */
static void make_terminal(void) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), unlock = 0;
    CHECK(master, KS_STEP_TERMINAL, 2);
    CHECK(ioctl(master, TIOCSPTLCK, &unlock), KS_STEP_TERMINAL, 3);
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    CHECK(slave, KS_STEP_TERMINAL, 4);
    for (int i = 0; i < 3; i++) CHECK(dup2(slave, i), KS_STEP_TERMINAL, 5);
    close(slave);
    char byte = 0;
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct iovec iov = { &byte, 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof(int));
    CHECK(sendmsg(PTY_FD, &msg, MSG_NOSIGNAL), KS_STEP_TERMINAL, 6);
    close(master);
    close(PTY_FD);
}

static void child(void) {
    int new_root = plan.mode == KS_MODE_CREATE && (plan.clone_flags & CLONE_NEWNS);
    if (new_root) enter_root();
    if (plan.hostname && (plan.clone_flags & CLONE_NEWUTS))
        CHECK(sethostname(plan.hostname, strlen(plan.hostname)), KS_STEP_HOSTNAME, 0);
    /* runc's order: after pivot_root (the container's /proc, hence its namespaces), before the
     * read-only paths (/proc/sys) and masks. */
    for (int i = 0; i < plan.n_sysctls; i++) {
        const char *key = (const char *)plan.sysctls[i].p, *value = key + strlen(key) + 1;
        char path[512];
        snprintf(path, sizeof path, "/proc/sys/%s", key);
        write_file(path, value, KS_STEP_SYSCTL, i);
    }
    if (new_root) protect_paths();
    for (int i = 0; i < plan.n_rlimits; i++) {
        const uint8_t *p = plan.rlimits[i].p;
        struct rlimit rl = { u64_at(p + 8), u64_at(p + 16) };
        CHECK(setrlimit((int)u32_at(p), &rl), KS_STEP_RLIMIT, i);
    }
    if (plan.has_oom) {
        char value[16];
        snprintf(value, sizeof value, "%d", plan.oom_score_adj);
        write_file("/proc/self/oom_score_adj", value, KS_STEP_OOM_SCORE, 0);
    }
    if (plan.terminal) make_terminal();
    CHECK(setsid(), KS_STEP_TERMINAL, 0);
    if (plan.terminal) CHECK(ioctl(0, TIOCSCTTY, 0), KS_STEP_TERMINAL, 1);
    if (plan.cwd) CHECK(chdir(plan.cwd), KS_STEP_CWD, 0);
    char resolved[4096];
    const char *exe = resolve_executable(resolved, sizeof resolved);
    if (plan.mode == KS_MODE_CREATE) {
        report(KS_STATUS_READY, 0, 0, 0);
        char go;
        ssize_t n;
        while ((n = read(START_FD, &go, 1)) < 0 && errno == EINTR) {}
        if (n != 1) _exit(KS_EXIT_NOT_STARTED);
        close(START_FD);
    }
    if (!plan.nnp) install_seccomp();
    set_credentials();
    if (plan.umask_set) umask(plan.umask_val);
    if (plan.nnp) CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), KS_STEP_NO_NEW_PRIVS, 0);
    if (plan.nnp) install_seccomp();
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(exe, plan.args, plan.env);
    fail(KS_STEP_EXEC, 0);
}

int main(void) {
    /* First, before anything can be observed: see the header comment. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(KS_STEP_NOT_DUMPABLE, 0);
    prctl(PR_SET_NAME, "ks-spawn", 0, 0, 0); /* run from /proc/self/fd/N, comm would be "N" */
    read_plan();
    /* Without capabilities in the spec a container process gets none (as with runc); only the
     * debug console's host-mode shell keeps the helper's. */
    if (!plan.caps_set && plan.mode != KS_MODE_HOST) plan.caps_set = 1;
    if (plan.cgroup_procs) write_file(plan.cgroup_procs, "0", KS_STEP_JOIN_CGROUP, 0);
    int ns_fds[MAX_ITEMS];
    for (int i = 0; i < plan.n_joins; i++)
        CHECK(ns_fds[i] = open((const char *)plan.joins[i].p + 4, O_RDONLY | O_CLOEXEC), KS_STEP_JOIN_NAMESPACE, i);
    for (int i = 0; i < plan.n_joins; i++)
        CHECK(setns(ns_fds[i], (int)u32_at(plan.joins[i].p)), KS_STEP_JOIN_NAMESPACE, i);
    unsigned long flags = (plan.mode == KS_MODE_CREATE ? plan.clone_flags : 0) | CLONE_PARENT | SIGCHLD;
    long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
    CHECK(pid, KS_STEP_CLONE, 0);
    if (pid == 0) child();
    report(KS_STATUS_PID, (int32_t)pid, 0, 0);
    return 0;
}
