// SPDX-License-Identifier: BSL-1.0
// Test launcher: runs a program under a seccomp filter that fails with EIO every
// epoll_wait(2) whose timeout lies between 3,000 and 5,000 seconds; shorter waits and
// waits with no timeout go through. With idle_timeout = 4000s, an echomux event loop waits
// that long exactly when it holds a connection: the kernel then fails the wait of the
// loop that accepted it, and only that loop, a real error from outside the program.
// Usage: fail_long_epoll_wait PROGRAM [ARG...]
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char* argv[]) {
    if (argc < 2) {
        fprintf(stderr, "usage: fail_long_epoll_wait PROGRAM [ARG...]\n");
        return 2;
    }
    struct sock_filter filter[] = {
        // Another architecture's system call numbers mean something else: refuse them all.
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_wait, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait, 0, 4),
        // The timeout (int milliseconds, the 4th argument): its low 32 bits on x86-64;
        // -1 (no timeout) reads as 0xffffffff and goes through.
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 3 * sizeof(__u64)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 3000000, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 5000000, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EIO & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
    // No new privileges: what lets an unprivileged process install a filter at all.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        perror("fail_long_epoll_wait: seccomp");
        return 2;
    }
    execv(argv[1], argv + 1);
    perror("fail_long_epoll_wait: exec");
    return 2;
}
