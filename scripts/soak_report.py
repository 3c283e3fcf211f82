#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""One backend's soak verdict (scripts/soak.sh): reads the samples soak_load.py took each
second, its summary and each echomux-bench --json result, prints one Markdown table row and
exits 1 when anything failed or trends upward.

    soak_report.py BACKEND WARMUP_S KERNEL_ABORTS SAMPLES_CSV SUMMARY_JSON BENCH_JSON...

Trends: least-squares slopes, over the samples after WARMUP_S and before the last COOL_DOWN_S
(the load's connections closing), of RSS (bound: RSS_KIB_PER_MIN) and of open descriptors
(bound: FDS_PER_MIN). KERNEL_ABORTS: the host's TcpExtTCPAbortOnMemory during the run (the
kernel resetting connections for lack of TCP memory, tcp_mem, which is the whole host's):
said next to the errors, since clients then see resets that echomux did not send. A leak of one 64 KiB read buffer every 10 s,
or of one descriptor every 30 s, fails; the noise of connections opening and closing does not.
"""
import csv
import json
import sys

RSS_KIB_PER_MIN = 384
FDS_PER_MIN = 2.0
COOL_DOWN_S = 10


def slope_per_min(ts, ys):
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    var = sum((t - mt) ** 2 for t in ts)
    return 60 * sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / var if var else 0.0


def main():
    backend, warmup, kernel_aborts = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    samples, summary = sys.argv[4], sys.argv[5]
    rows = list(csv.DictReader(open(samples)))
    end = float(rows[-1]["t"]) - COOL_DOWN_S
    after = [r for r in rows if warmup <= float(r["t"]) <= end]
    problems = []
    if len(after) < 30:
        problems.append(f"only {len(after)} samples after warm-up")
        after = rows
    ts = [float(r["t"]) for r in after]
    rss = [int(r["rss_kib"]) for r in after]
    fds = [int(r["fds"]) for r in after]
    rss_slope, fd_slope = slope_per_min(ts, rss), slope_per_min(ts, fds)
    cpu = (float(rows[-1]["cpu_s"]) - float(rows[0]["cpu_s"])) / max(1.0, float(rows[-1]["t"]) - float(rows[0]["t"]))
    probe_max = max(float(r["probe_ms"]) for r in rows)

    load = json.load(open(summary))
    errors = load["counts"].get("errors", 0)
    problems += load["errors"]
    requests = sum(v for k, v in load["counts"].items() if k not in ("errors", "sighup"))
    for path in sys.argv[6:]:
        try:
            result = json.load(open(path))["result"]
        except (OSError, ValueError, KeyError) as e:
            problems.append(f"{path}: no result ({e})")
            errors += 1
            continue
        udp = result.get("udp")
        requests += udp["datagrams_answered"] if udp else result["whole_run"]["requests"]
        errors += result["errors"]
        problems += [f"{path}: {m}" for m in result["error_messages"] + result["invalid"]]
        if udp and udp["datagrams_lost"]:  # loopback, no rate limit: a lost datagram is an error
            problems.append(f"{path}: {udp['datagrams_lost']} datagrams lost")
            errors += 1
        if result.get("drain_missing_bytes"):
            problems.append(f"{path}: {result['drain_missing_bytes']} bytes never came back")
            errors += 1
    if rss_slope > RSS_KIB_PER_MIN:
        problems.append(f"RSS grows {rss_slope:.0f} KiB/min after warm-up (bound {RSS_KIB_PER_MIN})")
    if fd_slope > FDS_PER_MIN:
        problems.append(f"descriptors grow {fd_slope:.2f}/min after warm-up (bound {FDS_PER_MIN})")
    if kernel_aborts:
        problems.append(f"the kernel reset {kernel_aborts} connection(s) for lack of TCP memory (TcpExtTCPAbortOnMemory)")

    print(f"| {backend} | {float(rows[-1]['t']):.0f} s | {rss[0] / 1024:.1f} → {rss[-1] / 1024:.1f} MiB "
          f"(max {max(rss) / 1024:.1f}) | {rss_slope:+.0f} | {min(fds)}–{max(fds)} | {fd_slope:+.2f} | "
          f"{100 * cpu:.0f} % | {requests:,} | {load['counts'].get('sighup', 0)} | {probe_max:.0f} ms | {errors}"
          f"{f' ({kernel_aborts} kernel TCP-memory resets)' if kernel_aborts else ''} |")
    for p in problems:
        print(f"  {backend}: {p}", file=sys.stderr)
    return 1 if problems or errors else 0


if __name__ == "__main__":
    sys.exit(main())
