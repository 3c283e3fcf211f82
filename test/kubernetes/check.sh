#!/bin/sh
# SPDX-License-Identifier: BSL-1.0
# Kubernetes manifests, offline: yamllint, then every variant of deploy/kubernetes rendered
# by `kubectl kustomize` and checked by validate.py (strict schema, API rules, echomux.conf
# consistency); the bench Job with the server it loads, as one namespace (its rules run
# echomux-bench, beside ECHOMUX_BINARY, on its arguments); every copy in good/ (valid in
# other spellings) must pass, and every mutated copy in bad/ must be refused with the
# messages its `expect` file lists. Exits 77 (ctest: skipped) when a tool is missing.
# Usage: check.sh SOURCE_DIR ECHOMUX_BINARY
set -eu
src=$(cd "$1" && pwd)
echomux=$2
here=$(cd "$(dirname "$0")" && pwd)
k8s=$src/deploy/kubernetes

python=""
for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import yaml, jsonschema' 2>/dev/null; then python=$candidate; break; fi
done
[ -n "$python" ] || { echo "SKIP: needs python3 with yaml and jsonschema (apt-get install python3-yaml python3-jsonschema)"; exit 77; }
# openssl: scripts/tls-certs.sh makes the stand-ins for the TLS overlay's certificate files.
command -v openssl >/dev/null 2>&1 || { echo "SKIP: openssl is not installed (apt-get install openssl)"; exit 77; }
command -v yamllint >/dev/null 2>&1 || { echo "SKIP: yamllint is not installed (apt-get install yamllint)"; exit 77; }
# The kustomizations use kustomize v5 (labels, components, and buildMetadata for the file
# names in findings): kubectl 1.27 or later. Debian 12's kubernetes-client (1.20) is older.
kustomize=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\)\..*/\1/p' || true)
[ "${kustomize:-0}" -ge 5 ] || { echo "SKIP: needs kubectl with kustomize v5 or later (kubectl 1.27+), found: ${kustomize:-none}"; exit 77; }

yamllint -s -c "$here/yamllint.yaml" "$k8s" "$here/bad" "$here/good"

validate() { "$python" -B "$here/validate.py" "$src" "$echomux" "$@"; }
validate "$k8s"
validate "$k8s" --component "$k8s/components/servicemonitor"
validate "$k8s/overlays/udp"
validate "$k8s/overlays/proxy-protocol"
validate "$k8s/overlays/tls"
# The Certificate alone, and with the example Issuer rendered beside it.
validate "$k8s/overlays/tls" --component "$k8s/components/cert-manager"
validate "$k8s/overlays/tls" "$k8s/components/cert-manager/self-signed-issuer" --component "$k8s/components/cert-manager"
# Alone, the bench's NetworkPolicy selects no pod and its arguments name no Service.
validate "$k8s" "$k8s/bench"
validate "$k8s/overlays/udp" "$k8s/bench"

failed=0
# Valid variants in other spellings than the base's (good/): each must pass.
for case in "$here"/good/*/; do
    validate "$case" || { echo "FAIL: good/$(basename "$case") was refused"; failed=1; }
done
for case in "$here"/bad/*/; do
    name=$(basename "$case")
    if output=$(validate "$case"); then
        echo "FAIL: bad/$name was accepted"; failed=1; continue
    fi
    missed=0
    while IFS= read -r expected; do
        if ! printf '%s\n' "$output" | grep -qF -- "$expected"; then
            printf 'FAIL: bad/%s: no finding says: %s\n' "$name" "$expected"; missed=1
        fi
    done < "$case/expect"
    if [ $missed -eq 0 ]; then
        echo "ok bad/$name: refused, as expected"
    else
        printf 'It said:\n%s\n' "$output"; failed=1
    fi
done
exit $failed
