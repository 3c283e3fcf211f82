#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Writes the structure-aware seed corpus of each fuzz target (test/fuzz/corpus/<target>/).
Run it again after changing a seed; the files are committed, and fuzz.sh adds what the
fuzzer finds next to them (those keep libFuzzer's hash names)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- PROXY header: v1 every kind, v2 every family, LOCAL, TLVs ---------------------------
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(ver_cmd, fam, body):
    return SIG + bytes([ver_cmd, fam]) + struct.pack(">H", len(body)) + body


def tlv(t, value):
    return bytes([t]) + struct.pack(">H", len(value)) + value


INET = bytes([192, 168, 0, 1, 192, 168, 0, 11]) + struct.pack(">HH", 56324, 443)
INET6 = bytes.fromhex("20010db8000000000000000000000001" "20010db8000000000000000000000002") + struct.pack(">HH", 1111, 7007)
UNIX = b"/run/client.sock".ljust(108, b"\x00") + b"/run/echomux.sock".ljust(108, b"\x00")
TLVS = (tlv(0x04, b"\x00\x00")                      # NOOP
        + tlv(0x01, b"h2")                          # ALPN
        + tlv(0x02, b"echo.example.com")            # AUTHORITY
        + tlv(0x05, b"\x01" * 16)                   # UNIQUE_ID
        + tlv(0xEA, b"\x01vpce-0123456789abcdef")   # AWS VPC endpoint id
        + tlv(0x20, b"\x07" + b"\x00\x00\x00\x00" + tlv(0x21, b"TLSv1.3") + tlv(0x22, b"client"))  # SSL, sub-TLVs
        + tlv(0x03, b"\x12\x34\x56\x78"))           # CRC32C (not checked)
seeds = {
    "v1_tcp4": "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n",
    "v1_tcp6": "PROXY TCP6 2001:db8::1 2001:db8::2 1111 7007\r\nhello\n",
    "v1_tcp6_v4mapped": "PROXY TCP6 ::ffff:192.0.2.1 ::1 65535 1\r\n",
    "v1_unknown": "PROXY UNKNOWN\r\n",
    "v1_unknown_addresses": "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n",
    "v1_longest": "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
    "v1_leading_zero_port": "PROXY TCP4 1.2.3.4 5.6.7.8 080 443\r\n",
    "v1_lone_lf": "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\n",
    "not_proxy": "hello, echo\r\n",
    "v2_inet": v2(0x21, 0x11, INET) + b"data after",
    "v2_inet_dgram": v2(0x21, 0x12, INET),
    "v2_inet6": v2(0x21, 0x21, INET6),
    "v2_inet6_dgram": v2(0x21, 0x22, INET6),
    "v2_unix": v2(0x21, 0x31, UNIX),
    "v2_unix_dgram": v2(0x21, 0x32, UNIX),
    "v2_unspec": v2(0x21, 0x00, b""),
    "v2_unspec_with_bytes": v2(0x21, 0x00, b"\x01\x02\x03"),
    "v2_local": v2(0x20, 0x00, b""),
    "v2_local_inet_family": v2(0x20, 0x11, INET),
    "v2_inet_tlvs": v2(0x21, 0x11, INET + TLVS),
    "v2_inet6_tlvs": v2(0x21, 0x21, INET6 + TLVS),
    "v2_unix_tlvs": v2(0x21, 0x31, UNIX + TLVS),
    "v2_local_tlvs": v2(0x20, 0x00, TLVS),
    "v2_largest": v2(0x21, 0x11, INET + tlv(0x04, b"\x00" * (2048 - 16 - 12 - 3))),
    "v2_oversized": v2(0x21, 0x11, INET + tlv(0x04, b"\x00" * (2048 - 16 - 12 - 2))),
    "v2_short_length": v2(0x21, 0x11, INET)[:14] + b"\x00\x04" + INET[:4],
    "v2_bad_version": SIG + b"\x11\x11\x00\x0c" + INET,
}
for name, data in seeds.items():
    write("proxy_header", name, data)

# --- conf files: keys, values, units, comments, line ends --------------------------------
with open(os.path.join(HERE, "..", "..", "conf", "echomux.conf"), "rb") as f:
    write("config", "echomux_conf_as_shipped", f.read())
confs = {
    "empty": "",
    "units": "max_buffer_bytes = 1MiB\nread_chunk_bytes = 16K\nidle_timeout = 250ms\n"
             "drain_timeout = 1.5\nshutdown_delay = 5m\nproxy_header_timeout = 2s\n",
    "every_key": "listen = 127.0.0.1\nport = 0\nudp = on\nudp_rate_per_source = 0\nmode = prefix\n"
                 "prefix = ${HOSTNAME} %p: \ngreeting = echomux %l\nproxy_protocol = optional\n"
                 "proxy_header_timeout = 1\nbackend = epoll-edge\nepoll_mode = edge\nthreads = 4\n"
                 "max_connections = 100\nmax_buffer_bytes = 4KiB\nread_chunk_bytes = 1G\nbacklog = 1\n"
                 "idle_timeout = 0\ndrain_timeout = 0.001\nshutdown_delay = 0\naccess_log = on\n"
                 "log_level = debug\nlog_format = json\nmetrics_listen = [::1]\nmetrics_port = 9100\n"
                 "metrics_max_connections = 10000\n",
    "windows": "\xef\xbb\xbfmode = upper\r\nport = 7008 # comment\r\n\r\n  # indented comment\r\n",
    "section": "[server]\nport = 7007\n",
    "duplicate": "port = 1\nport = 2\n",
    "flag_spelling": "max-connections = 5\n",
    "contradiction": "backend = epoll-level\nepoll_mode = edge\n",
    "prefix_small_buffer": "mode = prefix\nprefix = x\nmax_buffer_bytes = 4095\n",
    "quoted": "greeting = \"hello\"\n",
    "service_link": "port = tcp://10.0.0.1:7007\n",
    "no_equals": "port 7007\n",
    "control_bytes": "greeting = a\x1b[31mb\x00c\n",
    "overflow": "max_connections = 99999999999999999999999\nidle_timeout = 1e9\n",
}
for name, text in confs.items():
    write("config", name, text)

# --- greeting / prefix texts (a NUL, then client NUL local, sets the addresses) -----------
texts = {
    "hostname_client": "echomux ${HOSTNAME} %p",
    "every_form": "%p %l %% ${ECHOMUX_FUZZ_A}",
    "value_with_percent": "[${ECHOMUX_FUZZ_PCT}] %p",
    "value_with_braces": "${ECHOMUX_FUZZ_BRACE}${ECHOMUX_FUZZ_EMPTY}${ECHOMUX_FUZZ_UNSET}",
    "addresses": "%p -> %l\x00[2001:db8::1]:1111\x00%p%l%%",
    "unterminated": "${HOSTNAME",
    "bad_name": "${1A} ${} ${A-B}",
    "bad_percent": "100% sure %",
    "control": "tab\there",
    "long": "%p" * 600,
}
for name, text in texts.items():
    write("reply_text", name, text)

# --- metrics endpoint requests (first byte: 1 stopping, 2 draining) -----------------------
reqs = {
    "get_metrics": "\x00GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "head_healthz": "\x00HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    "readyz_draining": "\x03GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
    "readyz_stopping": "\x01GET /readyz?x=1#f HTTP/1.0\r\n\r\n",
    "livez_absolute": "\x00GET http://127.0.0.1:9100/livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "not_found": "\x00GET /nope HTTP/1.1\r\n\r\n",
    "post_body": "\x00POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    "delete": "\x00DELETE /metrics HTTP/1.1\r\n\r\n",
    "chunked": "\x00GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "pipelined": "\x00" + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 3 + "GET /metrics HTTP/1.1\r\n\r\n",
    "http2_preface": "\x00PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "garbage": "\x00\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "big_header": "\x00GET /metrics HTTP/1.1\r\nX-Big: " + "a" * 9000 + "\r\n\r\n",
    "half_request": "\x00GET /metr",
    "lf_only": "\x00GET /healthz HTTP/1.1\nHost: x\n\n",
}
for name, r in reqs.items():
    write("metrics_http", name, r)


# --- connection scripts: [mode|greeting] [max_buffer: 2] [read_chunk] [most] events -------
def first_byte(mode, greeting, faults=False):
    """The target takes the mode as the whole byte % 3: the smallest byte with the flags asked."""
    flags = (0x08 if greeting else 0) | (0x80 if faults else 0)
    return next(b for b in range(256) if b & 0x88 == flags and b % 3 == mode)


def script(mode, greeting, max_buffer, chunk, most, *events):
    head = bytes([first_byte(mode, greeting)]) + struct.pack(">H", max_buffer) + bytes([chunk, most])
    return head + b"".join(events)


def recv(data, scratch=False):
    return bytes([0x40 if scratch else 0, len(data) - 1]) + data


def recv_made_up(length_byte, shift, pattern):
    return bytes([0x80 | (shift << 3), length_byte, pattern])


FIN, COMPLETE, WRITABLE, RESUME = b"\x02", b"\x03", b"\x04", b"\x05"
def most(n): return bytes([6, n])
RESET, SEND_FAILS = b"\x07\x00", b"\x07\x01"
def tick(arg_times_4): return bytes([7, (arg_times_4 * 4 + 2) & 0xff])


ECHO, UPPER, PREFIX = 0, 1, 2
conns = {
    "echo_fin": script(ECHO, False, 100, 16, 0, recv(b"hello\n"), COMPLETE, FIN),
    "echo_partial_sends": script(ECHO, True, 64, 8, 3, recv(b"abcdefgh"), recv(b"ijkl"), COMPLETE, WRITABLE,
                                 COMPLETE, recv(b"mnop", True), FIN, COMPLETE, COMPLETE, COMPLETE),
    "echo_backpressure": script(ECHO, False, 10, 200, 1, recv(b"0123456789"), recv(b"x"), COMPLETE, RESUME,
                                recv(b"abc"), COMPLETE, COMPLETE, FIN),
    "echo_one_byte_buffer": script(ECHO, True, 1, 1, 1, recv(b"a"), recv(b"b"), COMPLETE, recv(b"c"), FIN, COMPLETE),
    "upper_stream": script(UPPER, False, 4096, 255, 0, recv_made_up(255, 4, 0), COMPLETE, recv_made_up(255, 5, 3),
                           most(7), COMPLETE, COMPLETE, FIN),
    "upper_bytes": script(UPPER, True, 300, 40, 5, recv(bytes(range(256))[:40]), COMPLETE, recv(b"zZaA{`@["), FIN),
    "prefix_lines": script(PREFIX, True, 0, 64, 0, recv(b"one\ntwo\n"), recv(b"thr"), COMPLETE, recv(b"ee\n\n"),
                           COMPLETE, FIN),
    "prefix_full": script(PREFIX, False, 0, 255, 2, recv_made_up(255, 3, 2), COMPLETE, recv_made_up(255, 3, 5), RESUME,
                          COMPLETE, WRITABLE, FIN),
    "reset_mid_stream": script(ECHO, False, 50, 10, 4, recv(b"0123456789"), RESET, recv(b"x")),
    "send_fails": script(UPPER, False, 50, 10, 4, recv(b"abc"), SEND_FAILS, COMPLETE, recv(b"def")),
    "idle_timeout": script(ECHO, True, 50, 10, 0, recv(b"abc"), tick(10), tick(40), recv(b"late")),
    "fin_first": script(PREFIX, True, 0, 10, 0, FIN, COMPLETE),
}
for name, data in conns.items():
    write("connection", name, data)

# Faults on purpose (the target's header: bit 7 of the first byte, then which, then parameters).
CLOSE_BYTES, RESET_BYTES, STALL_BYTES = 1, 2, 3
CLOSE_AFTER, RESET_AFTER = 1 << 2, 2 << 2
DELAY, BANDWIDTH = 0x10, 0x20
P_ZERO, P_HALF_DRAWN, P_HALF_SPARED = 0x40, 0x80, 0xC0


def faulty(mode, greeting, max_buffer, chunk, which, most, *events, n=None, lifetime=None, delay=None,
           jitter=0, bandwidth=None):
    """n: bytes; lifetime: ms, 1 + 4k; delay: ms, odd; jitter: ms, <= delay; bandwidth: bytes/s."""
    keys = bytes([which])
    if which & 3:
        keys += bytes([n - 1])
    if (which >> 2) & 3 in (1, 2):
        assert (lifetime - 1) % 4 == 0
        keys += bytes([(lifetime - 1) // 4])
    if which & DELAY:
        assert delay % 2 == 1 and jitter <= delay
        keys += bytes([(delay - 1) // 2, jitter])
    if which & BANDWIDTH:
        keys += struct.pack(">H", bandwidth - 1)
    head = bytes([first_byte(mode, greeting, True)]) + struct.pack(">H", max_buffer) + bytes([chunk])
    return head + keys + bytes([most]) + b"".join(events)


def ms(n):  # the clock moves n ms, then tick()
    out = b""
    while n > 0:
        out += bytes([7, 3 + 4 * min(n, 63)])
        n -= min(n, 63)
    return out


fault_seeds = {
    "delay_echo": faulty(ECHO, True, 100, 16, DELAY, 0, COMPLETE, recv(b"hello\n"), ms(51), ms(1), COMPLETE, FIN,
                         delay=51),
    "delay_jitter_upper_lines": faulty(UPPER, False, 300, 8, DELAY, 3, recv(b"one\n"), ms(10), recv(b"two\n"),
                                       ms(10), recv(b"three\n"), ms(60), COMPLETE, ms(40), COMPLETE, FIN,
                                       delay=101, jitter=40),
    "delay_backpressure": faulty(ECHO, False, 8, 200, DELAY, 0, recv(b"01234567"), recv(b"x"), ms(5), ms(1),
                                 COMPLETE, RESUME, recv(b"abc"), FIN, delay=5),
    "delay_prefix_greeting": faulty(PREFIX, True, 0, 64, DELAY, 0, recv(b"a\nb"), ms(3), COMPLETE, recv(b"c\n"),
                                    FIN, delay=21, jitter=21),
    # More marks than Pacing::kMaxMarks at once: 300 arrivals a ms apart, each waiting 511 ms.
    "delay_past_the_mark_bound": faulty(ECHO, False, 2000, 255, DELAY, 0, *[recv(b"m") + ms(1) for _ in range(300)],
                                        FIN, delay=511),
    "bandwidth_burst_then_rate": faulty(ECHO, False, 100, 255, BANDWIDTH, 0, recv(b"x" * 25), COMPLETE, ms(4),
                                        ms(1), COMPLETE, ms(5), COMPLETE, FIN, bandwidth=1000),
    "bandwidth_below_a_byte_a_burst": faulty(UPPER, True, 64, 16, BANDWIDTH, 0, recv(b"slow"), ms(63), COMPLETE,
                                             FIN, bandwidth=37),
    "bandwidth_and_delay_prefix": faulty(PREFIX, True, 0, 255, DELAY | BANDWIDTH, 7, recv_made_up(255, 2, 0), ms(7),
                                         COMPLETE, ms(3), COMPLETE, FIN, delay=7, jitter=3, bandwidth=20000),
    "close_after_bytes_in_the_greeting": faulty(ECHO, True, 100, 16, CLOSE_BYTES, 7, COMPLETE, COMPLETE, COMPLETE,
                                                recv(b"dropped"), FIN, n=20),
    "close_after_bytes_then_the_peer_reads_on": faulty(ECHO, False, 50, 16, CLOSE_BYTES, 0, recv(b"hello world"),
                                                       COMPLETE, recv(b"more"), FIN, n=5),
    "reset_after_bytes": faulty(UPPER, False, 50, 16, RESET_BYTES, 2, recv(b"abcdef"), COMPLETE, COMPLETE, n=3),
    "stall_after_bytes": faulty(ECHO, False, 10, 16, STALL_BYTES, 0, recv(b"abcdefgh"), COMPLETE, RESUME, WRITABLE,
                                FIN, n=4),
    "close_after": faulty(ECHO, False, 50, 16, CLOSE_AFTER, 0, recv(b"abc"), COMPLETE, ms(50), recv(b"def"),
                          COMPLETE, ms(51), recv(b"last"), COMPLETE, ms(1), recv(b"dropped"), FIN, lifetime=101),
    "reset_after_with_delay": faulty(ECHO, True, 50, 16, RESET_AFTER | DELAY, 0, COMPLETE, recv(b"abc"), ms(20),
                                     recv(b"late"), lifetime=21, delay=11),
    "stall_then_close_after": faulty(UPPER, False, 50, 16, STALL_BYTES | CLOSE_AFTER, 0, recv(b"abcdef"), COMPLETE,
                                     ms(30), recv(b"x"), FIN, n=3, lifetime=41),
    "fault_probability_zero_keeps_the_delay": faulty(ECHO, False, 50, 16, RESET_BYTES | DELAY | P_ZERO, 0,
                                                     recv(b"abcdef"), ms(4), COMPLETE, FIN, n=2, delay=3),
    "fault_probability_half_drawn": faulty(ECHO, False, 50, 16, RESET_BYTES | P_HALF_DRAWN, 0, recv(b"abc"),
                                           COMPLETE, n=2),
    "fault_probability_half_spared": faulty(ECHO, False, 50, 16, RESET_BYTES | P_HALF_SPARED, 0, recv(b"abc"),
                                            COMPLETE, FIN, n=2),
}
for name, data in fault_seeds.items():
    write("connection", name, data)


# --- TLS: scripts with the harness's real client, and raw ClientHellos -------------------
# Config flags and events as test/fuzz/tls_fuzz.cpp's header lists them.
UPPER_T, GREETING_T, TLS12, PROXY_REQUIRED, PROXY_OPTIONAL, PROXY_OPTIONAL_NONE = 1, 2, 4, 8, 16, 24
CONTEXT2, OFFER_ALPN, RAW_FIRST = 32, 64, 128


def tls(flags, max_buffer, chunk, most_byte, *events):
    return bytes([flags]) + struct.pack(">H", max_buffer - 1) + bytes([chunk, most_byte]) + b"".join(events)


def t_write(data): return bytes([0x00, len(data) - 1]) + data
def t_write_made_up(length_byte, shift, pattern): return bytes([(8 | shift) << 4, length_byte, pattern])
def t_deliver(length_byte, shift, own=False): return bytes([((8 if own else 0) | shift) << 4 | 1, length_byte])
def t_flip(length_byte, at, xor): return bytes([2, length_byte, at, xor])
def t_most(n): return bytes([7, n])
def t_tick(arg): return bytes([14, arg])


def t_raw(data):
    return b"".join(bytes([3, len(data[i:i + 256]) - 1]) + data[i:i + 256] for i in range(0, len(data), 256))


T_ALL = t_deliver(255, 7)  # up to 32 KiB, or read_room()
T_COMPLETE, T_WRITABLE, T_RESUME, T_READ, T_CLOSE, T_FIN = b"\x04", b"\x05", b"\x06", b"\x08", b"\x09", b"\x0a"
T_KEY_UPDATE, T_RESET, T_SEND_FAILS, T_RENEGOTIATE = b"\x0b", b"\x0c", b"\x0d", b"\x0f"
HANDSHAKE = (T_ALL + T_COMPLETE + T_READ) * 3  # TLS 1.2 needs three round trips of this harness
ANSWER = T_ALL + T_COMPLETE + T_READ


def client_hello(max_tls12=False, alpn=None, sni="localhost"):
    """A ClientHello as Python's ssl (the system's OpenSSL) writes it, its random parts fixed
    so that writing the seeds again gives the same bytes."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if max_tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if alpn:
        ctx.set_alpn_protocols(alpn)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        s.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = bytearray(outgoing.read())
    hello[11:43] = b"\x00" * 32                   # Random
    sid_len = hello[43]
    hello[44:44 + sid_len] = b"\x11" * sid_len    # legacy_session_id
    at = 44 + sid_len
    at += 2 + struct.unpack(">H", hello[at:at + 2])[0]   # cipher suites
    at += 1 + hello[at]                                  # compression methods
    end = at + 2 + struct.unpack(">H", hello[at:at + 2])[0]
    at += 2
    while at < end:                                      # key_share: x25519 shares are any 32 bytes
        ext, length = struct.unpack(">HH", hello[at:at + 4])
        if ext == 51:
            k = at + 6
            while k < at + 4 + length:
                group, klen = struct.unpack(">HH", hello[k:k + 4])
                if group == 0x1d:
                    hello[k + 4:k + 4 + klen] = b"\x09" * klen
                k += 4 + klen
        at += 4 + length
    return bytes(hello)


def in_two_records(record):
    """One handshake message cut over two records (legal, and a parser's classic trap)."""
    body = record[5:]
    half = len(body) // 2
    return (record[:3] + struct.pack(">H", half) + body[:half]
            + record[:3] + struct.pack(">H", len(body) - half) + body[half:])


HELLO13, HELLO12 = client_hello(), client_hello(max_tls12=True)
tls_seeds = {
    "echo_tls13_close_notify": tls(0, 1024, 16, 0, HANDSHAKE, t_write(b"hello\n"), ANSWER, T_CLOSE, ANSWER),
    "upper_greeting_tls12_fin": tls(UPPER_T | GREETING_T | TLS12, 4096, 255, 0, HANDSHAKE,
                                    t_write(b"abc xyz\n"), ANSWER, T_FIN, ANSWER),
    "proxy_required_greeting": tls(PROXY_REQUIRED | GREETING_T, 300, 255, 0, HANDSHAKE, t_write(b"p\n"), ANSWER),
    "proxy_optional_header": tls(PROXY_OPTIONAL | GREETING_T | TLS12, 300, 40, 0, HANDSHAKE, t_write(b"q\n"), ANSWER),
    "proxy_optional_none": tls(PROXY_OPTIONAL_NONE, 300, 40, 0, HANDSHAKE, t_write(b"r\n"), ANSWER),
    "alpn_tls13_only_greeting": tls(CONTEXT2 | OFFER_ALPN | GREETING_T, 200, 255, 0, HANDSHAKE,
                                    t_write(b"alpn\n"), ANSWER),
    "tls12_refused_by_tls13_only": tls(CONTEXT2 | TLS12, 200, 255, 0, HANDSHAKE),
    "backpressure_partial_sends": tls(0, 100, 255, 7, HANDSHAKE, t_most(0), t_write_made_up(255, 7, 0),
                                      t_write_made_up(255, 6, 3), T_ALL, T_ALL, T_COMPLETE, T_READ, T_RESUME,
                                      t_most(200), T_COMPLETE, T_WRITABLE, T_ALL, T_COMPLETE, T_READ),
    "one_byte_reads": tls(UPPER_T, 1, 0, 3, HANDSHAKE, t_write(b"slow\n"), ANSWER * 4),
    "own_buffers": tls(0, 5000, 100, 0, t_deliver(200, 0, True), T_COMPLETE, T_READ, t_deliver(255, 3, True),
                       T_COMPLETE, T_READ, t_deliver(255, 3, True), t_write(b"x" * 200), t_deliver(255, 3, True)),
    "key_update": tls(0, 2048, 255, 0, HANDSHAKE, T_KEY_UPDATE, ANSWER, t_write(b"after\n"), ANSWER,
                      T_KEY_UPDATE, T_KEY_UPDATE, ANSWER),
    "renegotiation_refused": tls(TLS12, 2048, 255, 0, HANDSHAKE, T_RENEGOTIATE, ANSWER, ANSWER),
    "fin_mid_record": tls(0, 2048, 255, 0, HANDSHAKE, t_write(b"0123456789" * 5), t_deliver(20, 0), T_FIN, ANSWER),
    "flipped_client_hello": tls(0, 2048, 255, 0, t_flip(255, 40, 1), HANDSHAKE),
    "flipped_record": tls(GREETING_T, 2048, 255, 0, HANDSHAKE, t_write(b"abcdef"), t_flip(30, 9, 0x80), ANSWER),
    "handshake_timeout": tls(0, 2048, 255, 0, T_ALL, T_COMPLETE, t_tick(60)),
    "idle_after_handshake": tls(0, 2048, 255, 0, HANDSHAKE, t_tick(30), t_tick(30), t_write(b"late\n"), ANSWER),
    "reset_mid_handshake": tls(0, 2048, 255, 0, T_ALL, T_RESET),
    "send_fails": tls(TLS12, 2048, 255, 0, T_ALL, T_SEND_FAILS, T_COMPLETE, T_READ, T_ALL),
    "raw_client_hello_tls13": tls(RAW_FIRST, 2048, 255, 0, t_raw(HELLO13), T_ALL, T_COMPLETE, T_ALL),
    "raw_client_hello_tls12": tls(RAW_FIRST, 2048, 255, 0, t_raw(HELLO12), T_ALL, T_COMPLETE, T_ALL),
    "raw_client_hello_alpn": tls(RAW_FIRST | CONTEXT2, 2048, 255, 0,
                                 t_raw(client_hello(alpn=["echo", "h2"])), T_ALL, T_COMPLETE),
    "raw_client_hello_two_records": tls(RAW_FIRST, 2048, 255, 0, t_raw(in_two_records(HELLO13)), T_ALL),
    "raw_hello_then_bytes": tls(RAW_FIRST | TLS12, 2048, 3, 0, t_raw(HELLO12), T_ALL, T_ALL,
                                t_raw(b"\x14\x03\x03\x00\x01\x01" + b"\x17\x03\x03\x00\x10" + b"\x00" * 16), T_ALL),
    "raw_alert": tls(RAW_FIRST, 2048, 255, 0, t_raw(b"\x15\x03\x03\x00\x02\x02\x28"), T_ALL),
    "raw_heartbeat": tls(RAW_FIRST, 2048, 255, 0, t_raw(b"\x18\x03\x03\x00\x03\x01\x40\x00"), T_ALL),
    "raw_data_first": tls(RAW_FIRST, 2048, 255, 0, t_raw(b"\x17\x03\x03\x00\x05hello"), T_ALL),
    "raw_sslv2_hello": tls(RAW_FIRST, 2048, 255, 0, t_raw(bytes.fromhex("802e0103010015000000100000040000050000"
                                                                         "0a00000900000300000800000600000200") + b"\x00" * 16), T_ALL),
    "raw_http_to_tls": tls(RAW_FIRST | PROXY_OPTIONAL, 2048, 255, 0, t_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), T_ALL),
    "raw_proxy_v2_then_hello": tls(RAW_FIRST | PROXY_OPTIONAL_NONE, 2048, 255, 0,
                                   t_raw(v2(0x21, 0x11, INET) + HELLO13), T_ALL, T_COMPLETE),
}
for name, data in tls_seeds.items():
    write("tls", name, data)
