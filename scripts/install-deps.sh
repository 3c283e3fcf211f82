#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# Installs what echomux needs on Debian 12 (as root). Idempotent.
#   install-deps.sh          what the server and its two tools need to build: compiler, CMake,
#                            Boost headers and Program_options, liburing (backend = io_uring)
#                            and pkg-config to find it, OpenSSL (tls_cert) (the README's run command)
#   install-deps.sh --test   that, plus what the test suite and the packaging need
set -eu
# The server-only set stays small on purpose: the run command must be quick on a fresh box.
packages="cmake g++ make pkg-config libboost1.81-dev libboost-program-options1.81-dev liburing-dev libssl-dev zlib1g-dev"
case "${1:-}" in
    "") ;;
    --test)
        # libboost-test1.81-dev and libssl-dev (SHA-256 of echoed payloads): the test programs.
        # gnuplot-nox: benchmark plots; netcat-openbsd: the container test's echo check.
        # yamllint, python3-yaml and python3-jsonschema: the Kubernetes manifest checks
        # (test/kubernetes). They also need kubectl 1.27 or later (for its kustomize v5), which
        # Debian 12 does not ship (its kubernetes-client is 1.20): without it, that check is skipped.
        # help2man and groff-base: the man pages; dpkg-dev (dpkg-shlibdeps, for Depends),
        # lintian and devscripts (hardening-check; 8 packages beside lintian): the .deb's test. systemd: systemd-socket-activate and systemd-analyze for
        # test/systemd (nothing needs it running).
        # openssl: scripts/tls-certs.sh, which makes the TLS tests' throwaway CA, and s_client.
        # ncat, socat and python3 (its ssl module): the real TLS clients that
        # test/conformance/tls_clients_test.cpp runs against every backend (ncat half-closes
        # with a bare FIN, socat with close_notify; Python drives 64 MiB and 200 clients at once).
        # catatonit: the infra container of test/container/kube_play_test.sh's pod (podman only
        # recommends it).
        packages="$packages libboost-test1.81-dev libssl-dev openssl ncat socat python3 gnuplot-nox netcat-openbsd yamllint python3-yaml
                  python3-jsonschema help2man groff-base dpkg-dev lintian devscripts systemd catatonit"
        ;;
    *)
        echo "usage: $0 [--test]" >&2
        exit 2
        ;;
esac
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends $missing
fi
# --test: promtool (test/metrics/promtool_check.sh) from Debian's prometheus package, unpacked
# rather than installed: installing it would also start a Prometheus server.
promtool_dir=/opt/echomux-test-tools
if [ "${1:-}" = --test ] && [ ! -x "$promtool_dir/usr/bin/promtool" ]; then
    work=$(mktemp -d)
    chmod 755 "$work"  # apt downloads as the _apt user
    (cd "$work" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update && apt-get download prometheus; }; })
    mkdir -p "$promtool_dir"
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    mkdir -p "$promtool_dir/usr/bin"
    cp "$work/root/usr/bin/promtool" "$promtool_dir/usr/bin/promtool"
    rm -rf "$work"
fi
