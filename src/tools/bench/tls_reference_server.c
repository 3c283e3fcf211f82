// SPDX-License-Identifier: BSL-1.0
/* A minimal non-blocking OpenSSL epoll echo server in C: the TLS floor echomux's backends are
 * measured against (scripts/tls-bench.sh), as reference_server.c is the plaintext one.
 * Level-triggered; the handshake runs inside the first SSL_read; read-ahead, so a record costs
 * one read(2); a short write keeps the rest per connection and stops reading until it is sent;
 * WANT_READ/WANT_WRITE choose what to wait for; the client's close_notify is answered with ours.
 * Full handshakes only (no session cache, no tickets), as echomux does.
 * Usage: echomux-tls-reference-server PORT CERT KEY [CLIENT_CA]   (127.0.0.1; CLIENT_CA:
 * a client certificate signed by it is required) */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn { SSL *ssl; char *pending; size_t len; };

static struct conn *conns;

static void wait_for(int ep, int fd, int ssl_error) {
    struct epoll_event e = {.events = ssl_error == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void drop(int fd) {
    SSL_free(conns[fd].ssl);
    free(conns[fd].pending);
    memset(&conns[fd], 0, sizeof conns[fd]);
    close(fd);
    ERR_clear_error();
}

/* Sends what is pending; 1 when all went, 0 when waiting (events set), -1 on an error. */
static int flush(int ep, int fd) {
    struct conn *c = &conns[fd];
    while (c->len > 0) {
        size_t w = 0;
        int r = SSL_write_ex(c->ssl, c->pending, c->len, &w);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return -1;
            wait_for(ep, fd, e);
            return 0;
        }
        memmove(c->pending, c->pending + w, c->len - w);
        c->len -= w;
    }
    wait_for(ep, fd, SSL_ERROR_WANT_READ);
    return 1;
}

/* Reads and echoes while records are at hand; a write that cannot finish becomes pending. */
static void on_ready(int ep, int fd, char *buf, size_t size) {
    struct conn *c = &conns[fd];
    int f = c->len > 0 ? flush(ep, fd) : 1;
    if (f < 0) { drop(fd); return; }
    while (f == 1) {
        size_t n = 0;
        int r = SSL_read_ex(c->ssl, buf, size, &n);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { wait_for(ep, fd, e); return; }
            if (e == SSL_ERROR_ZERO_RETURN) SSL_shutdown(c->ssl); /* their close_notify: ours */
            drop(fd);
            return;
        }
        c->pending = realloc(c->pending, n);
        memcpy(c->pending, buf, n);
        c->len = n;
        f = flush(ep, fd);
        if (f < 0) { drop(fd); return; }
        if (f == 1 && !SSL_pending(c->ssl) && !SSL_has_pending(c->ssl)) return; /* epoll tells of more */
    }
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s PORT CERT KEY [CLIENT_CA]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 || SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1 ||
        (argc == 5 && SSL_CTX_load_verify_locations(ctx, argv[4], NULL) != 1)) {
        ERR_print_errors_fp(stderr);
        return 2;
    }
    if (argc == 5) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_read_ahead(ctx, 1);
    conns = calloc((size_t)sysconf(_SC_OPEN_MAX), sizeof *conns);
    int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096)) {
        perror("listen");
        return 1;
    }
    fprintf(stderr, "listening on 127.0.0.1:%s\n", argv[1]); /* the tests wait for it */
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.fd = lfd}, ready[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
    static char buf[65536];
    for (;;) {
        int n = epoll_wait(ep, ready, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd != lfd) { on_ready(ep, fd, buf, sizeof buf); continue; }
            int c;
            while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                conns[c].ssl = SSL_new(ctx);
                SSL_set_fd(conns[c].ssl, c);
                SSL_set_accept_state(conns[c].ssl);
                struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
            }
        }
    }
}
