#!/bin/sh
# Kubernetes manifests, offline: yamllint, then the API schema and consistency with
# echomux.conf (validate.mjs). Exits 77 (ctest: skipped) when the tools are missing.
# Usage: check.sh SOURCE_DIR ECHOMUX_BINARY
set -eu
src=$1
echomux=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v yamllint >/dev/null 2>&1 || { echo "SKIP: yamllint is not installed (apt-get install yamllint)"; exit 77; }
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed"; exit 77; }
[ -d "$here/node_modules/kubernetes-models" ] || { echo "SKIP: run 'npm ci --prefix test/kubernetes' first"; exit 77; }
yamllint -s -c "$here/yamllint.yaml" "$src/deploy/kubernetes"
node "$here/validate.mjs" "$src/deploy/kubernetes" "$echomux"
