/*
 * ks-syscall-probe: makes the syscalls named on its command line and prints NAME=ok or NAME=ERRNO-NAME for each, so a
 * test can see what a seccomp filter did to them from inside a container (busybox has no keyctl, and unshare(1) hides
 * the errno behind a message). Static, so it runs in any root filesystem; the numbers come from the kernel headers
 * (<sys/syscall.h>), never typed here.
 *   unshare   unshare(CLONE_NEWUSER)                          (RuntimeDefault denies it without CAP_SYS_ADMIN)
 *   unshare-mnt, unshare-uts   unshare(CLONE_NEWNS), unshare(CLONE_NEWUTS)   (for rules on unshare's argument)
 *   keyctl    keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)        (a new anonymous session keyring; denied by RuntimeDefault)
 *   getpid    getpid()                                          (allowed by every profile)
 *   x32       getpid through the x32 ABI (__X32_SYSCALL_BIT)   (a filter that does not cover x32 must stop it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <asm/unistd.h>

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

static long call(const char *name) {
    if (!strcmp(name, "unshare")) return syscall(SYS_unshare, CLONE_NEWUSER);
    if (!strcmp(name, "unshare-mnt")) return syscall(SYS_unshare, CLONE_NEWNS);
    if (!strcmp(name, "unshare-uts")) return syscall(SYS_unshare, CLONE_NEWUTS);
    if (!strcmp(name, "keyctl")) return syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, (char *)NULL);
    if (!strcmp(name, "getpid")) return syscall(SYS_getpid);
    if (!strcmp(name, "x32")) return syscall(__X32_SYSCALL_BIT | SYS_getpid);
    errno = EINVAL;
    return -2;
}

int main(int argc, char **argv) {
    int status = 0;
    for (int i = 1; i < argc; i++) {
        long rc = call(argv[i]);
        if (rc == -2) {
            fprintf(stderr, "ks-syscall-probe: unknown call '%s' (known: unshare unshare-mnt unshare-uts keyctl getpid x32)\n", argv[i]);
            status = 2;
        } else if (rc < 0) {
            printf("%s=%s\n", argv[i], strerrorname_np(errno));
        } else {
            printf("%s=ok\n", argv[i]);
        }
        fflush(stdout);
    }
    return status;
}
