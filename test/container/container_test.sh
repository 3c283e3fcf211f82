#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# Container test: builds the image from the Dockerfile and runs it as a user would, checking
# what the README promises: echo and /metrics through it; `podman stop` (SIGTERM) drains a
# held client inside the default 10 s stop timeout and exits 0; it serves with --read-only
# --cap-drop=ALL under an arbitrary uid; the HEALTHCHECK follows ECHOMUX_METRICS_PORT (and
# fails where nothing listens); UDP echo; the image's user, entrypoint, ports, OCI labels,
# healthcheck and size. Then the Dockerfile's bench target (deploy/kubernetes/bench runs it):
# its echomux-bench, run from its image, loads the server's image by host name (the static
# resolver: /etc/hosts, and a Service name through a pod's DNS search list, from a dnsmasq on
# loopback) with every byte echoed. Exits 77 (ctest: skipped) when podman is missing or we are
# not root.
#
# This VM reaches no registry and has hybrid cgroups and a restricted setrlimit: the Debian
# base image is made locally (debootstrap + podman import, cached by tag), and podman runs
# with runc and fixed ulimits from a containers.conf given through CONTAINERS_CONF, on the
# host network. Where `podman run` still fails, the echo/metrics/stop, UDP and image checks
# run under `buildah run` instead (stop, healthcheck and run options need podman; the log
# says which runner is used and what was left out).
# Build cache: the build stage is kept, tagged localhost/echomux-build:cache, so a rerun
# compiles only when the sources change; the cache it replaces, the images and the
# containers this run makes are removed.
# Usage: container_test.sh SOURCE_DIR TOOLS_DIR
set -eu
src=$1
tools=$2

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install podman buildah runc debootstrap)"
command -v dnsmasq >/dev/null 2>&1 || skip "dnsmasq is not installed (apt-get install dnsmasq-base)"
[ "$(id -u)" = 0 ] || skip "making the base image and running with runc here need root"

work=$(mktemp -d /tmp/echomux-container-XXXXXX)

image=localhost/echomux-test:$$
bench_image=localhost/echomux-bench-test:$$
containers=()
buildah_ctr=
bench_ctr=
server_pid=
dnsmasq_pid=

# podman_settings, debian_base_image, build_server_image, image_chain, remove_dangling.
# shellcheck source=test/container/images.sh
. "$(dirname "$0")/images.sh"
podman_settings "$work" 1024
hold_podman_lock

cleanup() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
    [ -n "$dnsmasq_pid" ] && kill -TERM "$dnsmasq_pid" 2>/dev/null || true
    [ -n "$buildah_ctr" ] && buildah rm "$buildah_ctr" >/dev/null 2>&1 || true
    [ -n "$bench_ctr" ] && buildah rm "$bench_ctr" >/dev/null 2>&1 || true
    local name chain built
    for name in "${containers[@]}"; do podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; done
    for built in "$image" "$bench_image"; do
        if podman image exists "$built"; then
            chain=$(image_chain "$built")
            podman untag "$built" >/dev/null 2>&1 || true
            # shellcheck disable=SC2086 # one id per word
            remove_dangling $chain
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

# The Debian base image, made once and kept by tag (images.sh).
debian_base_image "$work"

# The build stage first, under the cache's name; then the image, whose build stage is all
# cache hits. --format docker: the OCI format has no HEALTHCHECK.
echo "building the image"
build_start=$(date +%s)
build_server_image "$src" "$image" "$work/build.log"
podman build --format docker --pull=never --layers --target bench -t "$bench_image" \
    -f "$src/Dockerfile" "$src" >>"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; exit 1; }
echo "built in $(($(date +%s) - build_start)) s"

# The image's configuration.
inspect() { podman image inspect --format "$1" "$image"; }
size=$(inspect '{{.Size}}')
echo "image size: $size bytes ($((size / 1024)) KiB)"
[ "$size" -lt 10000000 ] || fail "the image is $size bytes, not under 10 MB"
[ "$(inspect '{{.Config.User}}')" = 10001:10001 ] || fail "user is '$(inspect '{{.Config.User}}')', not 10001:10001"
[ "$(inspect '{{json .Config.Entrypoint}}')" = '["/usr/local/bin/echomux","--config","/etc/echomux/echomux.conf"]' ] \
    || fail "entrypoint: $(inspect '{{json .Config.Entrypoint}}')"
[ "$(inspect '{{json .Config.Healthcheck.Test}}')" = '["CMD","/usr/local/bin/echomux","--config","/etc/echomux/echomux.conf","--healthcheck"]' ] \
    || fail "healthcheck: $(inspect '{{json .Config.Healthcheck}}')"
[ "$(inspect '{{.Config.StopSignal}}')" = SIGTERM ] || fail "stop signal: $(inspect '{{.Config.StopSignal}}')"
ports=$(inspect '{{json .Config.ExposedPorts}}')
for p in 7007/tcp 7007/udp 9100/tcp; do
    case "$ports" in *"\"$p\""*) ;; *) fail "$p is not exposed: $ports" ;; esac
done
label() { inspect "{{index .Config.Labels \"org.opencontainers.image.$1\"}}"; }
for l in source version revision licenses created title description; do
    v=$(label $l)
    { [ -n "$v" ] && [ "$v" != "<no value>" ]; } || fail "no org.opencontainers.image.$l label"
done
[ "$(label licenses)" = BSL-1.0 ] || fail "licenses: $(label licenses)"

# The bench image: the load generator alone, run as the same user, labelled as the server.
bench_inspect() { podman image inspect --format "$1" "$bench_image"; }
bench_size=$(bench_inspect '{{.Size}}')
echo "bench image size: $bench_size bytes ($((bench_size / 1024)) KiB)"
[ "$bench_size" -lt 10000000 ] || fail "the bench image is $bench_size bytes, not under 10 MB"
[ "$(bench_inspect '{{.Config.User}}')" = 10001:10001 ] || fail "bench user: $(bench_inspect '{{.Config.User}}')"
[ "$(bench_inspect '{{json .Config.Entrypoint}}')" = '["/usr/local/bin/echomux-bench"]' ] \
    || fail "bench entrypoint: $(bench_inspect '{{json .Config.Entrypoint}}')"
for l in version revision licenses; do
    v=$(bench_inspect "{{index .Config.Labels \"org.opencontainers.image.$l\"}}")
    [ "$v" = "$(label $l)" ] || fail "bench label $l is '$v', the server's '$(label $l)'"
done

# One pair of free ports per container (images.sh), so no case waits on another's closing
# sockets.
free_ports 16
port() { echo "${free[$1]}"; }
metrics_port() { echo "${free[$(($1 + 8))]}"; }

http_get() { # PORT PATH
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3
    cat <&3
    exec 3<&-
}

check_echo_and_metrics() { # PORT METRICS_PORT: three connections, 121 bytes, counted exactly
    local reply page health
    reply=$(printf 'hello from the container test' | nc -N 127.0.0.1 "$1")
    [ "$reply" = "hello from the container test" ] || fail "wrong echo: '$reply'"
    "$tools/echomux-client" two-socket --port "$1" >/dev/null
    page=$(http_get "$2" /metrics)
    echo "$page" | grep -q '^echomux_connections_accepted_total{listener="main"} 3$' || { echo "$page"; fail "unexpected connection count"; }
    echo "$page" | grep -q '^echomux_received_bytes_total{listener="main"} 121$' || { echo "$page"; fail "unexpected byte count"; }
    health=$(http_get "$2" /healthz | head -n 1)
    case "$health" in *" 200 "*) ;; *) fail "healthz: $health" ;; esac
}

check_udp() { # PORT
    local reply
    reply=$("$tools/echomux-client" udp --port "$1" --text 'a datagram through the container')
    [ "$reply" = 'a datagram through the container' ] || fail "wrong UDP echo: '$reply'"
}

# echomux-bench's arguments against container N: by the name localhost (the static binary
# resolves it from the container's /etc/hosts, as it resolves a Service in a pod), and few
# connections, so the server's count of them is exact.
bench_connections=4
bench_args() { # N [HOST]: the server's CPU from its /metrics, as the Job reads it
    echo "run --host ${2:-localhost} --port $(port "$1") --connections $bench_connections --warmup 0.2 --duration 1 --json" \
        "--metrics-url http://127.0.0.1:$(metrics_port "$1")/metrics"
}

check_bench() { # JSON METRICS_PORT EARLIER: the run's report, and the server's count of its connections
    local page
    case "$1" in *'"errors":0,'*) ;; *) echo "$1"; fail "echomux-bench reported errors" ;; esac
    case "$1" in *'"requests":0,'*) echo "$1"; fail "echomux-bench counted no request" ;; esac
    page=$(http_get "$2" /metrics)
    echo "$page" | grep -q "^echomux_connections_accepted_total{listener=\"main\"} $(($3 + bench_connections))\$" \
        || { echo "$page" | grep accepted; fail "the server did not accept the bench's $bench_connections connections"; }
    echo "echomux-bench: $(echo "$1" | grep -o '"requests_per_second":[0-9.]*')"
}

# Which runner: podman run, or buildah run where podman cannot run containers here.
if version=$(podman run --rm --network=host "$image" --version 2>"$work/run.err"); then
    runner=podman
elif command -v buildah >/dev/null 2>&1; then
    runner=buildah
    echo "podman run fails here ($(tail -n 1 "$work/run.err")): running with buildah run"
    buildah_ctr=$(buildah from --pull-never "$image")
    version=$(buildah run --isolation chroot "$buildah_ctr" -- /usr/local/bin/echomux --version)
else
    skip "podman run fails here ($(tail -n 1 "$work/run.err")) and buildah is not installed"
fi
echo "runner: $runner; $(echo "$version" | head -n 1)"
[ "$(echo "$version" | head -n 1)" = "echomux $(label version) (revision $(label revision))" ] \
    || fail "labels say version $(label version), revision $(label revision); the binary: $version"

if [ "$runner" = buildah ]; then
    # What buildah run can show: echo, metrics, UDP, a SIGTERM stop with exit 0.
    # The port on the command line too, so that pgrep finds this server and no other.
    buildah run --isolation chroot --env ECHOMUX_LISTEN=127.0.0.1 --env ECHOMUX_METRICS_PORT="$(metrics_port 1)" \
        --env ECHOMUX_UDP=on "$buildah_ctr" -- \
        /usr/local/bin/echomux --config /etc/echomux/echomux.conf --port "$(port 1)" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do grep -q "metrics on http" "$work/server.log" && break; sleep 0.1; done
    grep -q "metrics on http" "$work/server.log" || { cat "$work/server.log"; fail "echomux did not start"; }
    check_echo_and_metrics "$(port 1)" "$(metrics_port 1)"
    check_udp "$(port 1)"
    pid=$(pgrep -f "^/usr/local/bin/echomux --config /etc/echomux/echomux.conf --port $(port 1)\$" | head -n 1)
    [ "$(stat -c %u "/proc/$pid")" = 10001 ] || fail "echomux does not run as the image's user 10001"
    kill -TERM "$pid"
    status=0
    wait "$server_pid" || status=$?
    server_pid=
dnsmasq_pid=
    [ "$status" = 0 ] || { cat "$work/server.log"; fail "exit status $status, expected 0"; }
    grep -q "stopped: accepted=3 " "$work/server.log" || { cat "$work/server.log"; fail "no clean stop in the log"; }
    echo "NOT RUN under buildah: podman stop with a held client, --read-only --cap-drop=ALL --user, podman healthcheck, the bench's DNS lookup"
    bench_ctr=$(buildah from --pull-never "$bench_image")
    # shellcheck disable=SC2046 # bench_args gives words
    bench_json=$(buildah run --isolation chroot "$bench_ctr" -- /usr/local/bin/echomux-bench $(bench_args 1)) \
        || fail "echomux-bench from the bench image exited $?"
    check_bench "$bench_json" "$(metrics_port 1)" 3
    echo "container test passed (buildah run)"
    exit 0
fi

logs() { podman logs "$1" 2>&1; }

# run NAME [podman run options...]: a detached container of the image on the host network,
# waited for until its metrics endpoint is up (at most 10 s).
run() {
    local name=$1
    shift
    containers+=("$name")
    podman run -d --name "$name" --network=host "$@" "$image" >/dev/null 2>>"$work/podman.err" \
        || { cat "$work/podman.err"; fail "podman run $name failed"; }
    for _ in $(seq 100); do
        logs "$name" | grep -q "metrics on http" && return 0
        [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || break
        sleep 0.1
    done
    logs "$name"
    fail "$name did not start"
}

wait_log() { # NAME TEXT: at most 10 s
    for _ in $(seq 100); do
        logs "$1" | grep -qF "$2" && return 0
        sleep 0.1
    done
    logs "$1"
    fail "no '$2' in $1's log"
}

uid_of() { stat -c %u "/proc/$(podman inspect --format '{{.State.Pid}}' "$1")"; }

stop_exits_0() { # NAME: podman stop with its default timeout (10 s); echomux exits 0, logs "stopped"
    podman stop "$1" >/dev/null 2>>"$work/podman.err" || fail "podman stop $1 failed"
    local code
    code=$(podman inspect --format '{{.State.ExitCode}}' "$1")
    [ "$code" = 0 ] || { logs "$1"; fail "$1 exited $code, not 0 (137: killed at the stop timeout)"; }
    logs "$1" | grep -q "stopped: " || { logs "$1"; fail "no 'stopped' line from $1"; }
}

env_for() { # N: settings by environment, as the README says (the healthcheck reads them too)
    echo "-e ECHOMUX_LISTEN=127.0.0.1 -e ECHOMUX_PORT=$(port "$1") -e ECHOMUX_METRICS_PORT=$(metrics_port "$1")"
}

echo "case: echo and metrics, as uid 10001, healthy, stopped with exit 0"
run_start=$(date +%s%N)
# shellcheck disable=SC2046 # env_for gives words
run c1-$$ $(env_for 1)
listening=$(logs c1-$$ | sed -n 's/^\([0-9T:.-]*Z\) echomux info: listening on .*/\1/p' | head -n 1)
start_ms=$(($(date -d "$listening" +%s%3N) - run_start / 1000000))
echo "start: $start_ms ms from podman run to the listening line"
[ "$(uid_of c1-$$)" = 10001 ] || fail "echomux runs as uid $(uid_of c1-$$), not the image's 10001"
check_echo_and_metrics "$(port 1)" "$(metrics_port 1)"
podman healthcheck run c1-$$ >/dev/null 2>>"$work/podman.err" || fail "c1 is not healthy"
stop_exits_0 c1-$$
logs c1-$$ | grep -q "stopped: accepted=3 " || { logs c1-$$; fail "c1's exit summary"; }

echo "case: a client held open across podman stop (default timeout 10 s)"
# shellcheck disable=SC2046
run c2-$$ $(env_for 2)
exec 4<>"/dev/tcp/127.0.0.1/$(port 2)" || { logs c2-$$; fail "cannot connect to c2"; }
printf 'before the stop\n' >&4
read -r -t 5 line <&4 || fail "no echo before the stop"
[ "$line" = "before the stop" ] || fail "echo before the stop: '$line'"
stop_start=$(date +%s%N)
podman stop c2-$$ >/dev/null 2>>"$work/podman.err" &
stopper=$!
wait_log c2-$$ "received SIGTERM"
printf 'during the drain\n' >&4
read -r -t 5 line <&4 || fail "no echo during the drain"
[ "$line" = "during the drain" ] || fail "echo during the drain: '$line'"
# The drain (drain_timeout 5 s) runs out with the client still there: echomux closes it.
rest=$(timeout 15 cat <&4) || fail "the held connection did not end in a clean EOF"
[ -z "$rest" ] || fail "unexpected bytes at the end: '$rest'"
exec 4<&-
wait "$stopper" || fail "podman stop c2 failed"
stop_ms=$((($(date +%s%N) - stop_start) / 1000000))
echo "podman stop took $stop_ms ms"
code=$(podman inspect --format '{{.State.ExitCode}}' c2-$$)
[ "$code" = 0 ] || { logs c2-$$; fail "c2 exited $code, not 0 (137: killed at the stop timeout)"; }
logs c2-$$ | grep -q "stopped: .* closed_drain=1 " || { logs c2-$$; fail "no 'stopped' line with the held client"; }
# Exit 0 alone is a race at the edge (a 10 s drain beat SIGKILL 3 times in 4): the drain must
# end with a margin of 2 s inside the stop timeout, by echomux's own clock.
at() { date -d "$(logs c2-$$ | sed -n "s/^\([0-9T:.-]*Z\) echomux info: $1.*/\1/p" | head -n 1)" +%s%3N; }
drain_ms=$(($(at stopped) - $(at "received SIGTERM")))
echo "SIGTERM to exit: $drain_ms ms"
[ "$drain_ms" -le 8000 ] || fail "the drain took $drain_ms ms: less than 2 s before the 10 s stop timeout's SIGKILL"

echo "case: --read-only --cap-drop=ALL --user 12345:0"
# shellcheck disable=SC2046
run c3-$$ --read-only --cap-drop=ALL --user 12345:0 $(env_for 3)
[ "$(uid_of c3-$$)" = 12345 ] || fail "c3 runs as uid $(uid_of c3-$$), not 12345"
reply=$(printf 'read-only' | nc -N 127.0.0.1 "$(port 3)")
[ "$reply" = read-only ] || fail "c3 echo: '$reply'"
podman healthcheck run c3-$$ >/dev/null 2>>"$work/podman.err" || fail "c3 is not healthy"
stop_exits_0 c3-$$

echo "case: the healthcheck follows ECHOMUX_METRICS_PORT, and fails where nothing listens"
# shellcheck disable=SC2046
run c4-$$ $(env_for 4)
podman healthcheck run c4-$$ >/dev/null 2>>"$work/podman.err" || fail "c4, metrics moved by env, is not healthy"
# The server's own flag moves its endpoint, and the healthcheck, which reads only the conf
# and the environment, probes the environment's port: nothing listens there.
closed=$(metrics_port 5)
if (exec 3<>"/dev/tcp/127.0.0.1/$closed") 2>/dev/null; then fail "port $closed is not free"; fi
containers+=(c5-$$)
podman run -d --name c5-$$ --network=host -e ECHOMUX_LISTEN=127.0.0.1 -e ECHOMUX_PORT="$(port 5)" \
    -e ECHOMUX_METRICS_PORT="$closed" "$image" --metrics-port "$(metrics_port 6)" >/dev/null 2>>"$work/podman.err"
wait_log c5-$$ "metrics on http"
if podman healthcheck run c5-$$ >/dev/null 2>>"$work/podman.err"; then fail "c5 is healthy, probing a closed port"; fi
stop_exits_0 c4-$$
stop_exits_0 c5-$$

echo "case: UDP echo with -e ECHOMUX_UDP=on"
# shellcheck disable=SC2046
run c6-$$ $(env_for 7) -e ECHOMUX_UDP=on
check_udp "$(port 7)"
stop_exits_0 c6-$$

echo "case: echomux-bench from the bench image, read-only, any uid, against the server's image"
# Pair 0: the one no case above uses.
# shellcheck disable=SC2046 # env_for gives words
run c7-$$ $(env_for 0)
# shellcheck disable=SC2046 # bench_args gives words
bench_json=$(podman run --rm --network=host --read-only --cap-drop=ALL --user 12345:0 "$bench_image" \
    $(bench_args 0) 2>>"$work/podman.err") || { cat "$work/podman.err"; fail "echomux-bench exited with an error"; }
check_bench "$bench_json" "$(metrics_port 0)" 0

echo "case: echomux-bench finds a Service by name as in a pod: search list, ndots:5, a DNS server"
# A dnsmasq on a loopback address of this run's own answers the name a cluster's DNS would,
# and nothing else (NXDOMAIN); the container gets a pod's resolv.conf pointing at it.
dns=127.53.$(($$ % 250 + 1)).1
dnsmasq --keep-in-foreground --port=53 --listen-address="$dns" --bind-interfaces --no-resolv --no-hosts \
    --local=/cluster.local/ --address=/echomux.testns.svc.cluster.local/127.0.0.1 \
    --log-queries --log-facility="$work/dnsmasq.log" --pid-file="$work/dnsmasq.pid" 2>>"$work/dnsmasq.err" &
dnsmasq_pid=$!
for _ in $(seq 100); do grep -q "started" "$work/dnsmasq.log" 2>/dev/null && break; sleep 0.1; done
grep -q "started" "$work/dnsmasq.log" 2>/dev/null || { cat "$work/dnsmasq.err"; fail "dnsmasq did not start on $dns"; }
# shellcheck disable=SC2046 # bench_args gives words
bench_json=$(podman run --rm --network=host --read-only --cap-drop=ALL --dns "$dns" \
    --dns-search testns.svc.cluster.local --dns-search svc.cluster.local --dns-search cluster.local \
    --dns-option ndots:5 "$bench_image" $(bench_args 0 echomux.testns.svc) 2>>"$work/podman.err") \
    || { cat "$work/podman.err"; fail "echomux-bench did not reach echomux.testns.svc"; }
check_bench "$bench_json" "$(metrics_port 0)" "$bench_connections"
grep -q "config echomux.testns.svc.cluster.local is 127.0.0.1" "$work/dnsmasq.log" \
    || { cat "$work/dnsmasq.log"; fail "the name was not resolved through the DNS server"; }
stop_exits_0 c7-$$

# The README's figures come from these runs (readme_figures.sh, which sets ECHOMUX_FIGURES
# and rewrites them); otherwise a list that no longer describes this image is stale: its
# server image size must be within 25% of this build's.
if [ -n "${ECHOMUX_FIGURES:-}" ]; then
    # The server's image with the bench copied in: what one image for both would weigh.
    mkdir "$work/combined"
    printf 'FROM %s\nCOPY --from=%s /usr/local/bin/echomux-bench /usr/local/bin/echomux-bench\n' "$image" "$bench_image" \
        >"$work/combined/Containerfile"
    podman build --pull=never -t "$image-combined" "$work/combined" >>"$work/build.log" 2>&1 || fail "the combined image"
    combined=$(podman image inspect --format '{{.Size}}' "$image-combined")
    podman rmi "$image-combined" >/dev/null
    printf 'image_bytes=%s\nbench_bytes=%s\ncombined_bytes=%s\nstart_ms=%s\nstop_ms=%s\ndrain_ms=%s\n' \
        "$size" "$bench_size" "$combined" "$start_ms" "$stop_ms" "$drain_ms" >"$ECHOMUX_FIGURES"
else
    readme_bytes=$(sed -n '/^<!-- figures: container -->$/,/^<!-- \/figures -->$/s/.*server image \([0-9]*\) bytes.*/\1/p' "$src/README.md")
    [ -n "$readme_bytes" ] || fail "README.md has no figures block with the server image's size"
    [ $((readme_bytes * 4)) -le $((size * 5)) ] && [ $((readme_bytes * 5)) -ge $((size * 4)) ] \
        || fail "README.md says the image is $readme_bytes bytes, this build's is $size: run test/container/readme_figures.sh"
fi
echo "container test passed (podman run)"
