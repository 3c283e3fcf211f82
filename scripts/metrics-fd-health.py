# SPDX-License-Identifier: BSL-1.0
# Usage: python3 scripts/metrics-fd-health.py BINARY: echomux under RLIMIT_NOFILE 512 with metrics on.
# (a) 600 idle echo connections, then GET /healthz; (b) fresh server, 600 silent metrics
# connections, then 20 echo connections that must echo.
import socket, subprocess, sys, time, resource, random
binary = sys.argv[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
def start():
    mport = random.randint(40000, 60000)
    p = subprocess.Popen(["prlimit", "--nofile=512", binary, "--port=0", "--listen=127.0.0.1",
                          "--metrics-listen=127.0.0.1", f"--metrics-port={mport}"], stderr=subprocess.PIPE, text=True)
    lines = []
    while True:
        l = p.stderr.readline(); lines.append(l.strip())
        if "listening on" in l: port = int(l.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
        if "metrics on" in l: return p, port, mport, lines
def healthz(mport):
    t = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", mport), timeout=5); s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        out = b""
        while (c := s.recv(4096)): out += c
        return out.split(b"\r\n")[0].decode(), round(time.time() - t, 3)
    except OSError as e: return type(e).__name__, round(time.time() - t, 3)
p, port, mport, lines = start()
print("log:", [l for l in lines if "open file limit" in l])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(600)]
time.sleep(0.5)
print(f"(a) 600 idle echo connections: /healthz -> {healthz(mport)}")
p.kill(); del held
p, port, mport, lines = start()
silent = [socket.create_connection(("127.0.0.1", mport)) for _ in range(600)]
time.sleep(0.5)
ok = 0
for i in range(20):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=3); c.sendall(b"hello")
        ok += c.recv(5) == b"hello"
    except OSError: pass
print(f"(b) 600 silent metrics connections: {ok}/20 echo connections echoed; /healthz -> {healthz(mport)}")
p.kill()
