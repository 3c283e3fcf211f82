#!/bin/sh
# Installs what echomux needs to build and test on Debian 12 (as root). Idempotent.
set -eu
packages="cmake g++ make libboost1.81-dev libboost-program-options1.81-dev libboost-test1.81-dev libssl-dev gnuplot-nox netcat-openbsd"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends $missing
fi
