// SPDX-License-Identifier: BSL-1.0
/* A minimal hand-written epoll echo server in C: the floor echomux's backends are measured
 * against in `echomux-bench compare`. Level-triggered, one read buffer for all
 * connections; only bytes a short write leaves behind are kept, per connection.
 * Usage: echomux-reference-server PORT   (listens on 127.0.0.1) */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct pending { char *data; size_t len; };

static struct pending *pending;
static int max_fds;

static void set_events(int ep, int fd, unsigned events) {
    struct epoll_event e = {.events = events, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void drop(int fd) {
    free(pending[fd].data);
    pending[fd].data = NULL;
    pending[fd].len = 0;
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    max_fds = (int)sysconf(_SC_OPEN_MAX);
    pending = calloc((size_t)max_fds, sizeof *pending);
    int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096)) {
        perror("listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.fd = lfd}, ready[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
    static char buf[65536];
    for (;;) {
        int n = epoll_wait(ep, ready, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            struct pending *p = &pending[fd];
            if (p->len > 0) { /* writable again: send what was left, then read again */
                ssize_t w = send(fd, p->data, p->len, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN) { drop(fd); continue; }
                if (w > 0) { memmove(p->data, p->data + w, p->len - (size_t)w); p->len -= (size_t)w; }
                if (p->len == 0) set_events(ep, fd, EPOLLIN);
                continue;
            }
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r <= 0) { if (r == 0 || errno != EAGAIN) drop(fd); continue; }
            ssize_t w = send(fd, buf, (size_t)r, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN) { drop(fd); continue; }
            if (w < r) { /* keep the rest, stop reading until it is sent */
                size_t left = (size_t)(r - (w > 0 ? w : 0));
                p->data = realloc(p->data, left);
                memcpy(p->data, buf + (r - (ssize_t)left), left);
                p->len = left;
                set_events(ep, fd, EPOLLOUT);
            }
        }
    }
}
