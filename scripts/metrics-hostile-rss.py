# SPDX-License-Identifier: BSL-1.0
# Usage: python3 scripts/metrics-hostile-rss.py BINARY [SESSIONS] [KIND]  -- KIND: body (1 MiB body) or post
# Starts BINARY with a metrics port, opens SESSIONS keep-alive clients that each send one
# 1 MiB request and keep their connection open, and prints the server's RSS before/after.
import socket, subprocess, sys, time, re, resource
binary = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
kind = sys.argv[3] if len(sys.argv) > 3 else "body"
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
port = 39000 + __import__("os").getpid() % 20000
p = subprocess.Popen([binary, "--port=0", "--listen=127.0.0.1", "--metrics-listen=127.0.0.1", f"--metrics-port={port}"],
                     stderr=subprocess.PIPE, text=True)
while "metrics on" not in p.stderr.readline(): pass
def rss():
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{p.pid}/status").read()).group(1))
def get(path):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode()); out = b""
    while (c := s.recv(65536)): out += c
    return out.split(b"\r\n")[0].decode()
get("/metrics"); before = rss()
body = b"x" * (1 << 20)
if kind == "body":
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
else:
    req = b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
held, statuses = [], {}
t0 = time.time()
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(req); head = s.recv(64).split(b"\r\n")[0].decode()
    except OSError as e:
        head = type(e).__name__
    statuses[head] = statuses.get(head, 0) + 1
    held.append(s)
after = rss()
print(f"{binary}: {n} sessions x 1 MiB {kind}: RSS {before} KiB -> {after} KiB (+{(after-before)/1024:.1f} MiB); "
      f"replies {statuses}; /healthz -> {get('/healthz')}; {time.time()-t0:.1f}s")
p.kill()
