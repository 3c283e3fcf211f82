// SPDX-License-Identifier: BSL-1.0
/* What an idle TLS connection costs echomux in OpenSSL, by call site (docs/benchmarks.md, TLS).
 * Runs N handshakes in memory against a server SSL_CTX set up as echomux's TlsContext does
 * (src/core/tls_context.cpp: release buffers, no session cache, no tickets), echoes one byte
 * each way, frees the client side and gives each server SSL one bufferless BIO (as echomux's own
 * BIO is), then prints the bytes OpenSSL still holds per server connection, by the file and line
 * that allocated them (CRYPTO_set_mem_functions), and what glibc's malloc makes of them.
 * Usage: echomux-tls-memory DIR [N] [--tls1.2] [--client-cert] [--free-buffers]
 *   DIR: what scripts/tls-certs.sh made (server.pem, server.key, ca.pem, client.pem, client.key) */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every allocation carries its call site, so what is live at the end can be told by site. */
struct header { size_t size; const char *file; int line; int counted; };
struct site { const char *file; int line; long bytes, chunks, count; };
enum { kSites = 4096 };
static struct site sites[kSites];
static int counting, reported;  /* reported: the table is sorted, tally no more */

/* glibc's chunk for a request of n bytes on x86-64: n plus 8, in 16s, at least 32. */
static long chunk_of(size_t n) { size_t c = (n + 8 + 15) & ~(size_t)15; return (long)(c < 32 ? 32 : c); }

static struct site *site_of(const char *file, int line) {
    unsigned long h = ((unsigned long)(size_t)file * 31u + (unsigned long)line) % kSites;
    for (int probe = 0; probe < kSites; ++probe, h = (h + 1) % kSites) {
        if (sites[h].file == file && sites[h].line == line) return &sites[h];
        if (!sites[h].file) {
            sites[h].file = file;
            sites[h].line = line;
            return &sites[h];
        }
    }
    return NULL;  /* full: not counted */
}

static void tally(struct header *h, int sign) {
    struct site *s = h->counted && !reported ? site_of(h->file, h->line) : NULL;
    if (!s) return;
    s->bytes += sign * (long)h->size;
    s->chunks += sign * chunk_of(h->size);
    s->count += sign;
}

static void *counted_malloc(size_t n, const char *file, int line) {
    struct header *h = malloc(sizeof *h + n);
    if (!h) return NULL;
    *h = (struct header){n, file ? file : "?", line, counting};
    tally(h, 1);
    return h + 1;
}

static void counted_free(void *p, const char *file, int line) {
    (void)file, (void)line;
    if (!p) return;
    struct header *h = (struct header *)p - 1;
    tally(h, -1);
    free(h);
}

static void *counted_realloc(void *p, size_t n, const char *file, int line) {
    if (!p) return counted_malloc(n, file, line);
    void *q = counted_malloc(n, file, line);
    if (!q) return NULL;
    size_t old = ((struct header *)p - 1)->size;
    memcpy(q, p, old < n ? old : n);
    counted_free(p, file, line);
    return q;
}

static void fail(const char *what) {
    fprintf(stderr, "echomux-tls-memory: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void load(SSL_CTX *ctx, const char *dir, const char *name) {
    char cert[4096], key[4096];
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        fail(cert);
}

/* Moves what each side wrote to the other, until neither writes. Bounded: a handshake is a few flights. */
static void shuttle(BIO *c_out, BIO *s_in, BIO *s_out, BIO *c_in) {
    char buffer[16384];
    for (int round = 0; round < 64; ++round) {
        int moved = 0, n;
        while ((n = BIO_read(c_out, buffer, sizeof buffer)) > 0) BIO_write(s_in, buffer, n), moved = 1;
        while ((n = BIO_read(s_out, buffer, sizeof buffer)) > 0) BIO_write(c_in, buffer, n), moved = 1;
        if (!moved) return;
    }
}

/* One connection: a full handshake and one byte each way; the client side freed. */
static SSL *connect_one(SSL_CTX *server, SSL_CTX *client, int free_buffers) {
    SSL *s = SSL_new(server), *c = SSL_new(client);
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    if (!s || !c || !s_in || !s_out || !c_in || !c_out) fail("out of memory");
    SSL_set_bio(s, s_in, s_out);
    SSL_set_bio(c, c_in, c_out);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    SSL_set_tlsext_host_name(c, "localhost");
    for (int round = 0; round < 16 && !(SSL_is_init_finished(s) && SSL_is_init_finished(c)); ++round) {
        SSL_do_handshake(c);
        SSL_do_handshake(s);
        shuttle(c_out, s_in, s_out, c_in);
    }
    if (!SSL_is_init_finished(s) || !SSL_is_init_finished(c)) fail("the handshake did not finish");
    char byte = 'x';
    if (SSL_write(c, &byte, 1) != 1) fail("client write");
    shuttle(c_out, s_in, s_out, c_in);
    if (SSL_read(s, &byte, 1) != 1 || SSL_write(s, &byte, 1) != 1) fail("server echo");
    shuttle(c_out, s_in, s_out, c_in);
    if (SSL_read(c, &byte, 1) != 1 || byte != 'x') fail("client read");
    SSL_free(c);
    /* echomux's BIO holds no bytes of its own (tls_connection_bio.cpp): a null BIO stands for it. */
    BIO *bio = BIO_new(BIO_s_null());
    if (!bio) fail("out of memory");
    SSL_set_bio(s, bio, bio);
    if (free_buffers && SSL_free_buffers(s) != 1) fail("SSL_free_buffers");
    return s;
}

static int by_bytes(const void *a, const void *b) {
    const struct site *x = a, *y = b;
    return (y->bytes > x->bytes) - (y->bytes < x->bytes);
}

int main(int argc, char **argv) {
    const char *dir = NULL;
    int n = 1000, tls12 = 0, client_cert = 0, free_buffers = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--tls1.2")) tls12 = 1;
        else if (!strcmp(argv[i], "--client-cert")) client_cert = 1;
        else if (!strcmp(argv[i], "--free-buffers")) free_buffers = 1;
        else if (!dir) dir = argv[i];
        else n = atoi(argv[i]);
    }
    if (!dir || n < 1) {
        fprintf(stderr, "usage: echomux-tls-memory DIR [N] [--tls1.2] [--client-cert] [--free-buffers]\n");
        return 2;
    }
    if (!CRYPTO_set_mem_functions(counted_malloc, counted_realloc, counted_free)) fail("cannot count allocations");
    SSL_CTX *server = SSL_CTX_new(TLS_server_method()), *client = SSL_CTX_new(TLS_client_method());
    if (!server || !client) fail("no SSL_CTX");
    load(server, dir, "server");
    SSL_CTX_set_min_proto_version(server, TLS1_2_VERSION);
    SSL_CTX_set_options(server, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(server, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(server, 0);
    char ca[4096];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    if (SSL_CTX_load_verify_locations(client, ca, NULL) != 1) fail(ca);
    SSL_CTX_set_verify(client, SSL_VERIFY_PEER, NULL);
    if (tls12) SSL_CTX_set_max_proto_version(client, TLS1_2_VERSION);
    if (client_cert) {
        if (SSL_CTX_load_verify_locations(server, ca, NULL) != 1) fail(ca);
        SSL_CTX_set_verify(server, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        load(client, dir, "client");
    }
    /* The first connection fetches and caches what every later one shares: not counted. */
    SSL **kept = calloc((size_t)n + 1, sizeof *kept);
    if (!kept) fail("out of memory");
    kept[0] = connect_one(server, client, free_buffers);
    counting = 1;
    for (int i = 1; i <= n; ++i) kept[i] = connect_one(server, client, free_buffers);
    counting = 0;

    long bytes = 0, chunks = 0, count = 0;
    int used = 0;
    reported = 1;
    for (int i = 0; i < kSites; ++i)
        if (sites[i].file && sites[i].count != 0) sites[used++] = sites[i];
    qsort(sites, (size_t)used, sizeof sites[0], by_bytes);
    for (int i = 0; i < used; ++i) bytes += sites[i].bytes, chunks += sites[i].chunks, count += sites[i].count;
    printf("%s, %s, cipher %s; %d idle server connections\n", SSL_get_version(kept[1]),
           client_cert ? "client certificate kept" : "no client certificate", SSL_get_cipher(kept[1]), n);
    printf("per connection: %.0f bytes asked of OpenSSL's allocator in %.1f allocations, %.0f bytes as glibc malloc "
           "chunks\n\n", (double)bytes / n, (double)count / n, (double)chunks / n);
    printf("%10s %7s  %s\n", "bytes", "allocs", "allocated at (OpenSSL 3 source)");
    for (int i = 0; i < used; ++i)
        if (sites[i].bytes / n >= 16)
            printf("%10.0f %7.1f  %s:%d\n", (double)sites[i].bytes / n, (double)sites[i].count / n, sites[i].file,
                   sites[i].line);
    for (int i = 0; i <= n; ++i) SSL_free(kept[i]);
    free(kept);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    return 0;
}
