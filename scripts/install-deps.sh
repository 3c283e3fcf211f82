#!/bin/sh
# Installs what echomux needs to build and test on Debian 12 (as root). Idempotent.
set -eu
# yamllint, python3-yaml and python3-jsonschema: the Kubernetes manifest checks (test/kubernetes).
# They also need kubectl 1.27 or later (for its kustomize v5), which Debian 12 does not ship
# (its kubernetes-client is 1.20): without it, the check is reported as skipped.
packages="cmake g++ make libboost1.81-dev libboost-program-options1.81-dev libboost-test1.81-dev libssl-dev gnuplot-nox netcat-openbsd yamllint python3-yaml python3-jsonschema"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends $missing
fi
