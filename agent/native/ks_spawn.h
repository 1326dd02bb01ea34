/* Wire constants between katasharp-agent (ContainerPlan / SpawnStatus in C#) and ks-spawn.
 * A unit test parses this file and compares every value with the C# side. */
#ifndef KS_SPAWN_H
#define KS_SPAWN_H

/* Plan records: u32 tag, u32 length, payload. Strings are NUL-terminated. */
#define KS_TAG_MODE 1            /* u32 KS_MODE_* */
#define KS_TAG_CLONE_FLAGS 2     /* u64 CLONE_NEW* (create mode) */
#define KS_TAG_JOIN_NS 3         /* u32 nstype, path: joined before the clone (exec; create: a pod's shared ones) */
#define KS_TAG_CGROUP_PROCS 4    /* path of the cgroup.procs to join first */
#define KS_TAG_ROOTFS 5          /* path of the prepared root filesystem */
#define KS_TAG_ROOT_READONLY 6   /* u32 */
#define KS_TAG_ROOT_PROPAGATION 7 /* u64 MS_* for "/" (default MS_SLAVE) */
#define KS_TAG_MOUNT 8           /* u64 flags, u64 propagation, u32 is_file, source, dest, type, data */
#define KS_TAG_MASKED 9          /* path */
#define KS_TAG_READONLY_PATH 10  /* path */
#define KS_TAG_SYSCTL 11         /* key as a /proc/sys relative path, value */
#define KS_TAG_HOSTNAME 12
#define KS_TAG_RLIMIT 13         /* u32 resource, u32 pad, u64 soft, u64 hard */
#define KS_TAG_USER 14           /* u32 uid, u32 gid */
#define KS_TAG_GROUPS 15         /* u32[] additional gids */
#define KS_TAG_UMASK 16          /* u32 */
#define KS_TAG_CAPS 17           /* u64 bounding, effective, inheritable, permitted, ambient */
#define KS_TAG_NO_NEW_PRIVS 18   /* u32 */
#define KS_TAG_SECCOMP 19        /* struct sock_filter[] */
#define KS_TAG_CWD 20
#define KS_TAG_ARG 21            /* one per argument, in order */
#define KS_TAG_ENV 22            /* one per KEY=value */
#define KS_TAG_TERMINAL 23       /* u32: make a pty in the process's /dev, send its master on fd 6 */
#define KS_TAG_OOM_SCORE_ADJ 24  /* i32 */
#define KS_TAG_DEVICE 25         /* u32 mode, major, minor, uid, gid, path (relative to the root) */
#define KS_TAG_SYMLINK 26        /* target, link path (relative to the root) */

#define KS_MODE_CREATE 1         /* new namespaces + root filesystem; wait for the start byte */
#define KS_MODE_EXEC 2           /* join an existing container's namespaces; exec at once */
#define KS_MODE_HOST 3           /* no isolation (debug console) */

/* Status records: int32 kind, value, step, index. */
#define KS_STATUS_PID 1          /* value = pid of the process, as the agent sees it */
#define KS_STATUS_READY 2        /* create mode: set up, waiting for the start byte */
#define KS_STATUS_ERROR 3        /* value = errno, step/index = where */

#define KS_STEP_READ_PLAN 1
#define KS_STEP_JOIN_CGROUP 2
#define KS_STEP_JOIN_NAMESPACE 3
#define KS_STEP_CLONE 4
#define KS_STEP_ROOT_PROPAGATION 5
#define KS_STEP_ROOTFS_BIND 6
#define KS_STEP_MOUNT 7
#define KS_STEP_DEVICE 8
#define KS_STEP_SYMLINK 9
#define KS_STEP_HOSTNAME 10
#define KS_STEP_SYSCTL 11
#define KS_STEP_PIVOT_ROOT 12
#define KS_STEP_MASK_PATH 13
#define KS_STEP_READONLY_PATH 14
#define KS_STEP_ROOT_READONLY 15
#define KS_STEP_RLIMIT 16
#define KS_STEP_OOM_SCORE 17
#define KS_STEP_TERMINAL 18
#define KS_STEP_RESOLVE_EXECUTABLE 19
#define KS_STEP_CWD 20
#define KS_STEP_SECCOMP 21
#define KS_STEP_CAPS_BOUNDING 22
#define KS_STEP_GROUPS 23
#define KS_STEP_GID 24
#define KS_STEP_UID 25
#define KS_STEP_CAPSET 26
#define KS_STEP_CAPS_AMBIENT 27
#define KS_STEP_NO_NEW_PRIVS 28
#define KS_STEP_EXEC 29
#define KS_STEP_NOT_DUMPABLE 30
#define KS_STEP_CHECK_DEV_NULL 31

#define KS_EXIT_SETUP_FAILED 125 /* like runc/podman: the runtime, not the program, failed */
#define KS_EXIT_NOT_STARTED 126  /* the start pipe closed without the start byte */

#endif
