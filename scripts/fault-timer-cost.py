#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
# What delayed connections cost while they wait (issue 23): N connections each send 100
# bytes to a server with a long `delay`; the server's RSS and CPU time are read while the
# bytes wait, then every echo is checked. A benchmark, not a test.
#   ./build/echomux --port 7020 --delay 20s --backend epoll &
#   python3 scripts/fault-timer-cost.py 7020 "$!" 10000
import os
import resource
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    raise SystemExit("no such process")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().split(")")[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    port, pid, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    base = rss_kib(pid)
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"x" * 100)
        clients.append(client)
    time.sleep(1)  # the last bytes reach the server; this measures, it does not synchronise
    cpu_before = cpu_seconds(pid)
    time.sleep(5)
    waited_cpu = cpu_seconds(pid) - cpu_before
    held = rss_kib(pid)
    print(f"connections={count} rss_base_kib={base} rss_waiting_kib={held} "
          f"bytes_per_connection={(held - base) * 1024 / count:.0f} cpu_seconds_in_5s_of_waiting={waited_cpu:.3f}")
    echoed = 0
    for client in clients:
        client.settimeout(60)
        echoed += client.recv(200) == b"x" * 100
    print(f"echoed {echoed} of {count}")
    return 0 if echoed == count else 1


if __name__ == "__main__":
    sys.exit(main())
