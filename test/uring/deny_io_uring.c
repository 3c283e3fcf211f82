// SPDX-License-Identifier: BSL-1.0
// Test launcher: runs a program under a seccomp filter that fails io_uring_setup(2) with
// the given errno, as a container runtime's default profile does (Docker's returns EPERM).
// Usage: deny_io_uring EPERM|ENOSYS PROGRAM [ARG...]
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char* argv[]) {
    if (argc < 3 || (strcmp(argv[1], "EPERM") != 0 && strcmp(argv[1], "ENOSYS") != 0)) {
        fprintf(stderr, "usage: deny_io_uring EPERM|ENOSYS PROGRAM [ARG...]\n");
        return 2;
    }
    const unsigned error = strcmp(argv[1], "EPERM") == 0 ? EPERM : ENOSYS;
    struct sock_filter filter[] = {
        // Another architecture's system call numbers mean something else: refuse them all.
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (error & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
    // No new privileges: what lets an unprivileged process install a filter at all.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        perror("deny_io_uring: seccomp");
        return 2;
    }
    execv(argv[2], argv + 2);
    perror("deny_io_uring: exec");
    return 2;
}
