#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# Makes a throwaway certificate authority and, signed by it, a server certificate for
# localhost, 127.0.0.1 and ::1 and a client certificate (ECDSA P-256, 30 days), for local use
# and the tests. Nothing it makes is committed; the CA's key is in DIR too: trust it nowhere.
#   scripts/tls-certs.sh DIR [SERVER_NAME ...]
# Writes DIR/ca.pem, DIR/server.pem + DIR/server.key (the chain: server then CA),
# DIR/client.pem + DIR/client.key. Needs the openssl command (Debian: openssl).
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [SERVER_NAME ...]" >&2
    exit 2
fi
dir=$1
shift
names="DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "$@"; do names="$names,DNS:$n"; done
mkdir -p "$dir"
cd "$dir"
umask 077
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=echomux throwaway CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

# One leaf: NAME, subject, extended key usage, extra extensions.
leaf() {
    key "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=$3" $4 >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 30 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    cat "$1.crt" ca.pem >"$1.pem"
    rm -f "$1.csr" "$1.ext" "$1.crt"
}
leaf server "/CN=localhost" serverAuth "subjectAltName=$names"
leaf client "/CN=echomux test client" clientAuth ""
chmod 644 ca.pem server.pem client.pem
echo "$dir: ca.pem, server.pem + server.key, client.pem + client.key"
