#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# Rewrites the README's container figures (the block between `<!-- figures: container -->`
# and `<!-- /figures -->`) from a run of container_test.sh, so they are measured, not typed:
# image sizes, start and stop times, with the date and the host's load. The container test
# fails when the block's server image size is more than 25% off its own build's.
# Usage: readme_figures.sh SOURCE_DIR TOOLS_DIR   (as root, like the container test)
set -eu -o pipefail
src=$(cd "$1" && pwd)
tools=$2
figures=$(mktemp /tmp/echomux-figures-XXXXXX)
trap 'rm -f "$figures"' EXIT
load=$(cut -d ' ' -f 1 /proc/loadavg)
# With ECHOMUX_FIGURES the run writes its figures there instead of checking the README's.
ECHOMUX_FIGURES=$figures bash "$src/test/container/container_test.sh" "$src" "$tools" | tail -n 3
[ -s "$figures" ] || { echo "the container test wrote no figures (did it run podman, not buildah?)"; exit 1; }
python3 - "$src/README.md" "$figures" "$load" "$(cut -d ' ' -f 1 /proc/loadavg)" <<'EOF'
import datetime
import re
import sys

readme, figures, load_before, load_after = sys.argv[1:]
f = dict(line.strip().split("=", 1) for line in open(figures) if "=" in line)
b = {k: int(v) for k, v in f.items()}
mb = lambda n: f"{n / 1e6:.1f} MB"
block = f"""<!-- figures: container -->
Measured here on {datetime.date.today().isoformat()} (2 cores, load {load_before} before the run,
{load_after} after), as `test/container/container_test.sh` measures them on every run
(`test/container/readme_figures.sh` reruns it and rewrites this list):
- server image {b['image_bytes']} bytes ({mb(b['image_bytes'])}), bench image {b['bench_bytes']} bytes
  ({mb(b['bench_bytes'])}), the server's image with the bench copied in {b['combined_bytes']} bytes,
  {b['combined_bytes'] / b['image_bytes']:.2f}x the server's (`podman image inspect --format '{{{{.Size}}}}'`),
  nearly all of it the stripped static binaries;
- start: {b['start_ms']} ms from `podman run -d --network=host` to echomux's `listening on` line
  (that line's timestamp minus the time just before `podman run`);
- stop with a client held open: {b['drain_ms']} ms from SIGTERM to exit by echomux's own clock
  (`drain_timeout = 5`), {b['stop_ms']} ms for the whole `podman stop`.
<!-- /figures -->"""
text = open(readme).read()
new, n = re.subn(r"<!-- figures: container -->\n.*?<!-- /figures -->", lambda _: block, text, flags=re.S)
if n != 1:
    sys.exit("README.md: no single <!-- figures: container --> block")
open(readme, "w").write(new)
print(block)
EOF
