#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""The soak's own clients and its watch on the server (scripts/soak.sh runs one per backend,
beside echomux-bench's verified ping-pong, stream, churn, TLS and UDP load).

    soak_load.py PID PORT PROXY_PORT TLS_PORT METRICS_PORT SECONDS SAMPLES_CSV SUMMARY_JSON

For SECONDS, in threads: PROXY v1/v2 clients, slow readers, half-closing clients and bad
clients (garbage then a reset, half-open, silent, garbage on the PROXY and TLS ports), every
byte that should come back checked; /metrics, /healthz and /livez scraped; SIGHUP every 10 s.
Each second: the server's RSS, descriptors and CPU time (to SAMPLES_CSV), and an echo probe
and /livez, each of which must answer within 2 s (a loop that stops answering is an error).
Writes counts and every error to SUMMARY_JSON; exits 1 on any error.
"""
import json
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

PID, PORT, PROXY_PORT, TLS_PORT, METRICS_PORT = (int(a) for a in sys.argv[1:6])
SECONDS = float(sys.argv[6])
SAMPLES, SUMMARY = sys.argv[7], sys.argv[8]
DEADLINE = time.monotonic() + SECONDS
HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")

lock = threading.Lock()
counts = {}
errors = []


def count(what, n=1):
    with lock:
        counts[what] = counts.get(what, 0) + n


def error(what):
    with lock:
        if len(errors) < 100:
            errors.append(f"{time.strftime('%H:%M:%S')} {what}")
        counts["errors"] = counts.get("errors", 0) + 1


def running():
    return time.monotonic() < DEADLINE


def connect(port, timeout=10):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_to_eof(s, limit):
    got = bytearray()
    while len(got) <= limit:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    return bytes(got)


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def http_get(path):
    with connect(METRICS_PORT, timeout=2) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n".encode())
        answer = read_to_eof(s, 1 << 22)
    status = answer.split(b"\r\n", 1)[0]
    return status, answer


def exchange(port, header, payload, what):
    """Send header + payload, half-close, and check that exactly payload comes back."""
    with connect(port) as s:
        s.sendall(header + payload)
        s.shutdown(socket.SHUT_WR)
        back = read_to_eof(s, len(payload) + 1)
    if back != payload:
        error(f"{what}: {len(payload)} bytes sent, {len(back)} came back{'' if len(back) != len(payload) else ' (different)'}")
    else:
        count(what)


def proxy_clients():
    r = random.Random(1)
    while running():
        payload = r.randbytes(r.choice([1, 100, 4096, 70000]))
        if r.random() < 0.5:
            header = f"PROXY TCP4 198.51.100.{r.randrange(1, 255)} 192.0.2.2 {r.randrange(1, 65536)} 7007\r\n".encode()
        else:
            body = bytes([198, 51, 100, r.randrange(1, 255), 192, 0, 2, 2]) + struct.pack(">HH", 4242, 7007)
            header = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack(">H", len(body)) + body
        try:
            exchange(PROXY_PORT, header, payload, "proxy")
        except OSError as e:
            error(f"proxy: {e}")


def half_close_clients():
    r = random.Random(2)
    while running():
        try:
            exchange(PORT, b"", r.randbytes(r.randrange(1, 300000)), "half_close")
        except OSError as e:
            error(f"half_close: {e}")


def slow_reader(seed):
    """1 MiB out as fast as the server takes it, read back at about 256 KiB/s."""
    r = random.Random(seed)
    while running():
        payload = r.randbytes(1 << 20)
        try:
            with connect(PORT, timeout=30) as s:
                sender = threading.Thread(target=lambda: (s.sendall(payload), s.shutdown(socket.SHUT_WR)))
                sender.start()
                got = bytearray()
                while len(got) <= len(payload):
                    chunk = s.recv(16384)
                    if not chunk:
                        break
                    got += chunk
                    time.sleep(0.06)  # the slowness itself, not synchronisation
                sender.join(30)
            if bytes(got) != payload:
                error(f"slow_reader: {len(got)} of {len(payload)} bytes came back, or different")
            else:
                count("slow_reader")
        except OSError as e:
            error(f"slow_reader: {e}")


def bad_clients():
    r = random.Random(3)
    while running():
        kind = r.choice(["garbage_reset", "half_open", "silent", "proxy_garbage", "tls_garbage", "connect_reset"])
        try:
            if kind == "garbage_reset":  # bytes, then a reset before reading the echo
                s = connect(PORT)
                s.sendall(r.randbytes(r.randrange(1, 65536)))
                reset(s)
            elif kind == "half_open":  # sends, never reads, vanishes with a reset later
                s = connect(PORT)
                s.sendall(r.randbytes(200000))
                time.sleep(0.3)  # the client's silence, not synchronisation
                reset(s)
            elif kind == "silent":  # connects, says nothing, leaves
                s = connect(PORT)
                time.sleep(0.2)
                s.close()
            elif kind == "proxy_garbage":  # not a PROXY header: the server must close it
                with connect(PROXY_PORT) as s:
                    s.sendall(b"GARBAGE " + r.randbytes(100) + b"\r\n")
                    if read_to_eof(s, 1 << 16) != b"":
                        error("proxy_garbage: bytes came back for a refused header")
            elif kind == "tls_garbage":  # not TLS: the server must close it
                with connect(TLS_PORT) as s:
                    s.sendall(b"\x16\x03\x01\xff\xff" + r.randbytes(300))
                    read_to_eof(s, 1 << 16)
            else:  # a reset at once
                reset(connect(PORT))
            count("bad_" + kind)
        except OSError as e:
            if kind in ("proxy_garbage", "tls_garbage") and isinstance(e, ConnectionResetError):
                count("bad_" + kind)  # the server's answer to garbage may be a reset
            else:
                error(f"bad {kind}: {e}")


def scraper():
    while running():
        for path, want in (("/metrics", b"echomux_connections_accepted_total"), ("/healthz", b"ok")):
            try:
                status, body = http_get(path)
                if b" 200 " not in status or want not in body:
                    error(f"scrape {path}: {status!r}")
                else:
                    count("scrape")
            except OSError as e:
                error(f"scrape {path}: {e}")
        time.sleep(1)  # a scrape a second, as Prometheus would at a short interval


def hup():
    while running():
        time.sleep(min(10, max(0, DEADLINE - time.monotonic())))
        if running():
            os.kill(PID, signal.SIGHUP)
            count("sighup")


def sample(out):
    """Each second: RSS, descriptors, CPU; and the loops still answer (echo and /livez, 2 s)."""
    start = time.monotonic()
    out.write("t,rss_kib,fds,cpu_s,probe_ms\n")
    while running():
        t0 = time.monotonic()
        with open(f"/proc/{PID}/status") as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        fds = len(os.listdir(f"/proc/{PID}/fd"))
        with open(f"/proc/{PID}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        probe = b"probe %d\n" % int(t0 * 1000)
        try:
            with connect(PORT, timeout=2) as s:
                s.sendall(probe)
                s.shutdown(socket.SHUT_WR)
                if read_to_eof(s, 100) != probe:
                    error("probe: wrong echo")
            status, _ = http_get("/livez")
            if b" 200 " not in status:
                error(f"/livez: {status!r}")
        except OSError as e:
            error(f"probe: no answer within 2 s: {e}")
        probe_ms = (time.monotonic() - t0) * 1000
        out.write(f"{t0 - start:.1f},{rss},{fds},{cpu:.2f},{probe_ms:.1f}\n")
        out.flush()
        time.sleep(max(0, 1 - (time.monotonic() - t0)))


def main():
    workers = [proxy_clients, half_close_clients, bad_clients, bad_clients, scraper, hup,
               lambda: slow_reader(4), lambda: slow_reader(5)]
    threads = [threading.Thread(target=w, daemon=True) for w in workers]
    for t in threads:
        t.start()
    with open(SAMPLES, "w") as out:
        sample(out)
    for t in threads:
        t.join(60)
        if t.is_alive():
            error("a client thread did not finish within 60 s of the end")
    with open(SUMMARY, "w") as f:
        json.dump({"counts": counts, "errors": errors}, f, indent=1)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
