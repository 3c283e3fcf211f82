#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
# Usage: udp_ipv6_prefix_check.py ECHOMUX (ECHOMUX_TEST_BINARY, when set, is used instead).
# udp_rate_per_source counts an IPv6 /64 as one source, end to end. Loopback has only ::1, so
# this runs in a private network namespace (unshare -n: root, or exit 77 = skipped) where two
# /64s are local (an AnyIP route on lo): 50 senders of one /64 share one rate, a sender of the
# next /64 has its own, and with udp_rate_ipv6_prefix = 128 each address has its own again.
# The grouping to the bit, and IPv4-mapped sources, are proven in the unit tests.
import os, random, re, select, socket, subprocess, sys, time

RATE = 10      # udp_rate_per_source: a burst of 10, then 10 a second
SENDERS = 50
EACH = 2 * RATE


def start(binary, extra):
    server = subprocess.Popen([binary, "--listen=::", "--port=0", "--udp=on", f"--udp-rate-per-source={RATE}"] + extra,
                              stderr=subprocess.PIPE, text=True)
    for line in server.stderr:
        match = re.search(r"listening on \[::\]:(\d+)", line)
        if match:
            return server, int(match.group(1))
    sys.exit(f"echomux did not start (exit {server.wait()})")


def replies(port, prefix, senders):
    """Datagrams answered when `senders` addresses of `prefix` send EACH at once."""
    sockets = []
    for _ in range(senders):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: the AnyIP route makes it local, bind(2) does not know
        s.bind((prefix + ":%x:%x:%x:%x" % tuple(random.getrandbits(16) for _ in range(4)), 0))
        sockets.append(s)
    for s in sockets:
        for _ in range(EACH):
            s.sendto(b"ping", ("::1", port))
        time.sleep(0.005)  # the load's shape: 1,000 datagrams at once would overflow the server's socket
    answered = 0
    while True:  # until no reply has come for 0.3 s
        ready, _, _ = select.select(sockets, [], [], 0.3)
        if not ready:
            return answered
        for s in ready:
            s.recv(64)
            answered += 1


def main():
    binary = os.environ.get("ECHOMUX_TEST_BINARY") or sys.argv[1]
    if os.environ.get("ECHOMUX_IN_NETNS") != "1":
        if subprocess.run(["unshare", "-n", "true"], stderr=subprocess.DEVNULL).returncode != 0:
            print("skipped: unshare -n is not permitted here (needs root)")
            sys.exit(77)
        env = dict(os.environ, ECHOMUX_IN_NETNS="1")
        sys.exit(subprocess.run(["unshare", "-n", sys.executable, __file__, binary], env=env).returncode)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for net in ("2001:db8:0:1::/64", "2001:db8:0:2::/64"):
        subprocess.run(["ip", "-6", "route", "add", "local", net, "dev", "lo"], check=True)
    failures = []
    fail = lambda why: (print("FAIL:", why), failures.append(why))

    server, port = start(binary, [])
    one_64 = replies(port, "2001:db8:0:1", SENDERS)
    other_64 = replies(port, "2001:db8:0:2", 1)
    server.kill()
    print(f"default /64: {SENDERS} senders x {EACH} datagrams from one /64 -> {one_64} replies; "
          f"one sender of the next /64 -> {other_64}")
    # A burst of RATE, plus what the bucket refills while the senders send (about 0.3 s).
    if not RATE <= one_64 <= RATE + RATE // 2:
        fail(f"one /64 got {one_64} replies, not one source's {RATE}")
    if other_64 != RATE:
        fail(f"the next /64 got {other_64} replies, not its own {RATE}")

    server, port = start(binary, ["--udp-rate-ipv6-prefix=128"])
    per_address = replies(port, "2001:db8:0:1", SENDERS)
    server.kill()
    print(f"udp_rate_ipv6_prefix = 128: the same {SENDERS} senders -> {per_address} replies")
    if per_address < SENDERS * RATE * 9 // 10:  # a few may share a hash slot, never many
        fail(f"per address, {SENDERS} senders got {per_address} replies, not about {SENDERS * RATE}")

    sys.exit(1 if failures else 0)


main()
