#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Cost of access_log = on at connection churn: server CPU per connection, on vs off.

Usage: python3 scripts/access-log-cost.py BINARY [CONNECTIONS] [ROUNDS]
Starts BINARY twice per round (access_log off, then on; stderr to a file, as a log
collector would take it), opens CONNECTIONS short connections to each (connect, send
one byte, read it back, close) and prints the server's CPU time per connection
(utime + stime from /proc) and connections/s, then the median ratio on/off."""
import os, re, socket, statistics, subprocess, sys, tempfile, time

binary = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
tick = os.sysconf("SC_CLK_TCK")

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

def run(access_log):
    log = tempfile.TemporaryFile()
    p = subprocess.Popen([binary, "--listen=127.0.0.1", "--port=0", f"--access-log={access_log}"],
                         stderr=subprocess.PIPE)
    line = p.stderr.readline().decode()
    port = int(re.search(r"listening on [^ \"]*:(\d+)[ \"]", line).group(1))  # any log_format
    # From here on the log goes to a file, read by nobody: what a log collector costs us.
    drain = subprocess.Popen(["cat"], stdin=p.stderr, stdout=log)
    before, start = cpu_seconds(p.pid), time.monotonic()
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"x")
        s.recv(1)
        s.close()
    elapsed, used = time.monotonic() - start, cpu_seconds(p.pid) - before
    p.terminate(); p.wait(); drain.wait()
    return used / count * 1e6, count / elapsed

ratios = []
for r in range(rounds):
    off_us, off_rate = run("off")
    on_us, on_rate = run("on")
    ratios.append(on_us / off_us)
    print(f"round {r + 1}: off {off_us:.1f} us/conn ({off_rate:.0f} conn/s), on {on_us:.1f} us/conn ({on_rate:.0f} conn/s)")
print(f"access_log = on costs {statistics.median(ratios):.2f}x the server CPU per connection (median of {rounds})")
