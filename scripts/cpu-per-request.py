#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Server CPU per request of several echo servers, side by side, as ratios to the first.

Independent of echomux-bench's own CPU figure: each server is pinned to one CPU (taskset),
the load generator (echomux-bench run, pinned to another) drives it, and this script reads
the server's utime + stime (/proc/PID/stat: every thread, live and exited) over a window
inside the generator's measured window. Per request = server CPU seconds per second divided
by requests per second, so the two windows need not coincide exactly. The servers are
visited in turn (A B C ... A B C ...), and each round's figures are divided by the first
server's in the same round; the medians of those ratios are reported (a shared machine is
noisy: compare within a round, never across runs), each with its 90 % bootstrap interval
(how far that median moves when the rounds are resampled): name the reference twice
('c again=...') and the copy's interval is the run's resolution.

Servers are named on the command line: a built-in name (c, asio-example, asio, epoll-level,
epoll-edge, poll, select) runs the binary from build/; NAME=COMMAND runs COMMAND, whose
{port} is replaced by a free port (e.g. 'old=../old/build/echomux --port {port}').

  scripts/cpu-per-request.py c asio-example asio epoll-level epoll-edge poll select
  scripts/cpu-per-request.py --rounds 8 --seconds 3 old='OLD/echomux --port {port}' new='./build/echomux --port {port}'
  scripts/cpu-per-request.py --syscalls c asio epoll-level epoll-edge   # system calls per request
  scripts/cpu-per-request.py --clients 2 --connections 500 c asio       # another load regime
"""
import argparse
import json
import os
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TICKS = os.sysconf("SC_CLK_TCK")
SYSCALLS = ["recvfrom", "sendto", "read", "write", "epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll",
            "select", "pselect6", "io_uring_enter", "accept4"]


def median_interval(values, resamples=5000):
    """90 % bootstrap interval of the median of values (fixed seed: the same data, the same interval)."""
    rng = random.Random(1)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples))
    return medians[resamples // 20], medians[resamples - 1 - resamples // 20]


def builtin(name, build):
    echomux = [os.path.join(build, "echomux"), "--listen", "127.0.0.1", "--port", "{port}"]
    table = {
        "c": [os.path.join(build, "echomux-reference-server"), "{port}"],
        "asio-example": [os.path.join(build, "echomux-asio-example-server"), "{port}"],
        "asio": echomux + ["--backend=asio"],
        "epoll-level": echomux + ["--backend=epoll", "--epoll-mode=level"],
        "epoll-edge": echomux + ["--backend=epoll", "--epoll-mode=edge"],
        "poll": echomux + ["--backend=poll"],
        "select": echomux + ["--backend=select"],
        "io_uring": echomux + ["--backend=io_uring"],
    }
    return table.get(name)


def parse_server(spec, build):
    if "=" in spec:
        name, command = spec.split("=", 1)
        argv = shlex.split(command)
        if not any("{port}" in a for a in argv):
            sys.exit(f"cpu-per-request: server '{name}': its command needs {{port}}")
        return name, argv
    argv = builtin(spec, build)
    if argv is None:
        sys.exit(f"cpu-per-request: unknown server '{spec}' (built-in: c, asio-example, asio, epoll-level, "
                 "epoll-edge, poll, select, io_uring; or NAME=COMMAND with {port})")
    if not os.access(argv[0], os.X_OK):
        sys.exit(f"cpu-per-request: {argv[0]} not found: build first (cmake --build build)")
    return spec, argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def process_cpu(pid):
    """(utime + stime seconds, schedstat run seconds) of all the process's threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of proc(5))
    run_ns = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                run_ns += int(f.read().split()[0])
        except OSError:
            pass  # the thread ended meanwhile
    return ticks / TICKS, run_ns / 1e9


def context_switches(pid):
    """Context switches of all the process's threads: (voluntary: it waited for work,
    involuntary: something else took its CPU)."""
    total = [0, 0]
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        total[0] += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        total[1] += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_times(cpu):
    """(busy, steal, total) jiffies of one CPU (-1: all), from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} " if cpu >= 0 else "cpu "):
                v = [int(x) for x in line.split()[1:]]
                idle = v[3] + v[4]
                steal = v[7] if len(v) > 7 else 0
                return sum(v[:8]) - idle - steal, steal, sum(v[:8])
    return 0, 0, 1


def perf_syscalls(pid, seconds):
    """System calls the process makes in about `seconds`, by name, and the seconds perf counted."""
    events = ",".join(f"syscalls:sys_enter_{s}" for s in SYSCALLS)
    out = subprocess.run(["perf", "stat", "-e", events, "-p", str(pid), "--", "sleep", str(seconds)],
                         capture_output=True, text=True)
    counts, elapsed = {}, None
    for line in out.stderr.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("syscalls:sys_enter_"):
            try:
                counts[parts[1][len("syscalls:sys_enter_"):]] = int(parts[0].replace(",", ""))
            except ValueError:
                pass  # <not supported> / <not counted>
        elif "seconds time elapsed" in line:
            elapsed = float(parts[0])
    if not counts or not elapsed:
        raise RuntimeError("perf stat counted nothing: " + out.stderr.strip()[-300:])
    return counts, elapsed


def measure(name, argv, a):
    """One visit: start the server, load it, measure inside the generator's window."""
    port = free_port()
    command = [x.replace("{port}", str(port)) for x in argv]
    pin = ["taskset", "-c", str(a.server_cpu)] if a.server_cpu >= 0 else []
    server = subprocess.Popen(pin + command,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, server)
        share = [a.connections // a.clients + (1 if i < a.connections % a.clients else 0) for i in range(a.clients)]
        cpus = a.client_cpus.split(",")
        benches = []
        for i, n in enumerate(share):
            cmd = [os.path.join(a.build, "echomux-bench"), "run", "--port", str(port), "--connections", str(n),
                   "--size", str(a.size), "--warmup", str(a.warmup), "--duration", str(a.seconds),
                   "--cpu", cpus[i % len(cpus)], "--json"]
            if a.window:
                cmd += ["--workload", "stream", "--window", str(a.window)]
            if i == 0:
                cmd += ["--server-pid", str(server.pid)]
            benches.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        # Our window: inside the generator's, with a margin for its start (connects) and end.
        margin = min(0.25, a.seconds / 8)
        time.sleep(a.warmup + margin)
        syscalls, counted = {}, 1
        t0, (cpu0, run0), host0 = time.monotonic(), process_cpu(server.pid), cpu_times(a.server_cpu)
        sleeps0 = context_switches(server.pid)
        if a.syscalls:
            syscalls, counted = perf_syscalls(server.pid, a.seconds - 2 * margin)
        else:
            time.sleep(a.seconds - 2 * margin)
        t1, (cpu1, run1), host1 = time.monotonic(), process_cpu(server.pid), cpu_times(a.server_cpu)
        sleeps1 = context_switches(server.pid)
        results = []
        for b in benches:
            out, err = b.communicate(timeout=a.warmup + a.seconds + 30)
            if b.returncode != 0:
                raise RuntimeError(f"echomux-bench exited {b.returncode}: {err.strip()[-300:]}")
            results.append(json.loads(out)["result"])  # echomux-bench v2: {"kind": "run", ..., "result": {...}}
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    wall = t1 - t0
    rate = sum(r["requests"] / r["seconds"] for r in results)
    errors = sum(r["errors"] for r in results)
    if errors:
        raise RuntimeError(f"{name}: {errors} errors: {results[0].get('error_messages')}")
    host_total = max(1, host1[2] - host0[2])
    return {
        "requests_per_second": rate,
        "us_per_request": (cpu1 - cpu0) / wall / rate * 1e6,           # utime + stime
        "schedstat_us_per_request": (run1 - run0) / wall / rate * 1e6,  # run time, same window
        "bench_us_per_request": results[0]["server_us_per_request"],    # the generator's own figure
        "sleeps_per_request": (sleeps1[0] - sleeps0[0]) / wall / rate,  # the server waited for work
        "preemptions_per_request": (sleeps1[1] - sleeps0[1]) / wall / rate,
        "server_cpu_percent": 100 * (cpu1 - cpu0) / wall,
        "client_cpu_percent": max(100 * r["client_cpu_seconds"] / r["seconds"] for r in results),
        "server_cpu_busy_percent": 100 * (host1[0] - host0[0]) / host_total,  # everyone on that CPU
        "server_cpu_steal_percent": 100 * (host1[1] - host0[1]) / host_total,
        "syscalls_per_request": {k: v / counted / rate for k, v in syscalls.items() if v},
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="Prints each visit, then medians of the per-round ratios to the first server.")
    p.add_argument("servers", nargs="+", help="built-in name or NAME=COMMAND (with {port}); the first is the reference")
    p.add_argument("--rounds", type=int, default=5, help="rounds, each visiting every server once [5]")
    p.add_argument("--seconds", type=float, default=4, help="seconds measured per visit [4]")
    p.add_argument("--warmup", type=float, default=1, help="seconds of load before measuring [1]")
    p.add_argument("--connections", type=int, default=50, help="connections, over all clients [50]")
    p.add_argument("--size", type=int, default=64, help="bytes per message [64]")
    p.add_argument("--window", type=int, default=0,
                   help="pipelining: bytes in flight per connection (stream workload); 0: ping-pong [0]")
    p.add_argument("--clients", type=int, default=1, help="load generator processes [1]")
    p.add_argument("--client-cpus", default="0", help="CPUs for the generators, in turn; -1: not pinned [0]")
    p.add_argument("--server-cpu", type=int, default=1, help="CPU the server is pinned to; -1: not pinned [1]")
    p.add_argument("--syscalls", action="store_true", help="also count system calls per request (perf)")
    p.add_argument("--json", metavar="FILE", help="write every visit's figures here")
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory [build/]")
    a = p.parse_args()
    if a.rounds < 1 or a.seconds < 1 or a.warmup < 0 or a.connections < a.clients or a.clients < 1:
        p.error("--rounds >= 1, --seconds >= 1, --warmup >= 0, --clients >= 1 and --connections >= --clients")
    servers = [parse_server(s, a.build) for s in a.servers]
    names = [n for n, _ in servers]
    if len(set(names)) != len(names):
        p.error("two servers have the same name")

    visits = {n: [] for n in names}
    ratios = {n: [] for n in names}
    for r in range(1, a.rounds + 1):
        for name, argv in servers:
            v = measure(name, argv, a)
            visits[name].append(v)
            calls = " ".join(f"{k} {x:.2f}" for k, x in sorted(v["syscalls_per_request"].items()))
            print(f"round {r} {name:>14}: {v['us_per_request']:6.2f} us/req (schedstat {v['schedstat_us_per_request']:.2f},"
                  f" bench {v['bench_us_per_request']:.2f}), {v['requests_per_second']:8.0f} req/s, server"
                  f" {v['server_cpu_percent']:3.0f}% client {v['client_cpu_percent']:3.0f}% cpu{a.server_cpu} busy"
                  f" {v['server_cpu_busy_percent']:3.0f}% steal {v['server_cpu_steal_percent']:.1f}%"
                  f" sleeps/req {v['sleeps_per_request']:.3f} preempted/req {v['preemptions_per_request']:.3f}"
                  + (f" | per request: {calls}" if calls else ""), flush=True)
        reference = visits[names[0]][-1]["us_per_request"]
        for n in names:
            ratios[n].append(visits[n][-1]["us_per_request"] / reference)

    print(f"\nmedians over {a.rounds} rounds, {a.connections} connections x {a.size} B"
          + (f", window {a.window} B" if a.window else " ping-pong") + f", {a.clients} client(s):")
    for n in names:
        med = lambda key: statistics.median(v[key] for v in visits[n])
        low, high = median_interval(ratios[n])
        line = (f"{n:>14}: {statistics.median(ratios[n]):.3f}x (90% interval {low:.3f}-{high:.3f};"
                f" rounds {min(ratios[n]):.3f}-{max(ratios[n]):.3f})"
                f"  {med('us_per_request'):.2f} us/req  {med('requests_per_second'):.0f} req/s"
                f"  server {med('server_cpu_percent'):.0f}% client {med('client_cpu_percent'):.0f}%"
                f"  sleeps/req {med('sleeps_per_request'):.3f} preempted/req {med('preemptions_per_request'):.3f}")
        if a.syscalls:
            keys = sorted({k for v in visits[n] for k in v["syscalls_per_request"]})
            line += "  per request: " + " ".join(
                f"{k} {statistics.median(v['syscalls_per_request'].get(k, 0) for v in visits[n]):.2f}" for k in keys)
        print(line)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"arguments": vars(a), "visits": visits, "ratios": ratios}, f, indent=1)


if __name__ == "__main__":
    main()
