#!/bin/sh
# Installs what echomux needs to build and test on Debian 12 (as root). Idempotent.
set -eu
packages="cmake g++ make libboost1.81-dev libboost-program-options1.81-dev libboost-test1.81-dev libssl-dev gnuplot-nox netcat-openbsd yamllint"
command -v node >/dev/null 2>&1 || packages="$packages nodejs npm"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends $missing
fi
# The Kubernetes manifest checks use kubernetes-models from npm (versions pinned by the lock file).
here=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$here/test/kubernetes/node_modules/kubernetes-models" ] || npm ci --prefix "$here/test/kubernetes" --no-audit --no-fund
