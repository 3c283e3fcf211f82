#!/bin/bash
# shellcheck disable=SC2154 # left_out, *_path, *_port, live_*, grace, delay: from $work/facts
# SPDX-License-Identifier: BSL-1.0
# The Kubernetes manifests run by a real engine: `podman kube play` of deploy/kubernetes as
# kubectl renders it (the Deployment, its ConfigMap and the Services; the other kinds have no
# meaning to podman), with the image built from the Dockerfile. Checks that the pod starts
# from the manifests (the conf from the ConfigMap, POD_NAME from the downward API), echoes,
# serves /metrics, that its liveness probe became a podman healthcheck with the probe's
# timing, that the probes' endpoints answer as the kubelet would see them, and that a stop
# drains (readiness 503, liveness 200, still accepting for shutdown_delay, a held client
# served to its end) and exits 0, then `podman kube down` removes it.
#
# What podman 4.3's kube play does otherwise than Kubernetes, and so what this cannot check:
# - It publishes every containerPort on the host (0.0.0.0:7007, 0.0.0.0:9100) and the
#   Services give no cluster IP or name: one replica per host (the test plays replicas: 1;
#   the second would not bind), reached on the host's ports. Spreading, the PDB and the
#   NetworkPolicy are not exercised.
# - An httpGet probe becomes `CMD-SHELL curl -f http://localhost:PORT/path`, which needs a
#   shell and curl that the scratch image does not have, and a named port ("metrics") comes
#   out as port 0; the healthcheck's timer is a systemd unit, and no systemd runs here. So
#   the healthcheck's timing is checked, and the probes' requests are made from outside, as
#   the kubelet makes them. readinessProbe is not converted at all.
# - terminationGracePeriodSeconds is not the stop timeout (podman keeps 10 s), and
#   `kube down` SIGKILLs at once (podman issue 22397, fixed in 5.1): the test stops the
#   container first with `podman stop -t <terminationGracePeriodSeconds>`, as the kubelet
#   does, then runs kube down. Not `podman pod stop`: it stops the infra container alongside,
#   and with it the host ports' forwarding, so during shutdown_delay new clients were refused
#   (seen here; the kubelet stops the sandbox only after the containers).
# Exits 77 (ctest: skipped) when a tool is missing, we are not root, or the manifests' ports
# are taken on this host.
# Usage: kube_play_test.sh SOURCE_DIR
set -eu
src=$(cd "$1" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install podman buildah runc debootstrap catatonit)"
command -v catatonit >/dev/null 2>&1 || skip "catatonit is not installed: kube play's pods need it for their infra container (apt-get install catatonit)"
python3 -c 'import yaml' 2>/dev/null || skip "needs python3 with yaml (apt-get install python3-yaml)"
kustomize=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\)\..*/\1/p' || true)
[ "${kustomize:-0}" -ge 5 ] || skip "needs kubectl with kustomize v5 or later (kubectl 1.27+)"
[ "$(id -u)" = 0 ] || skip "making the base image and running with runc here need root"

work=$(mktemp -d /tmp/echomux-kube-play-XXXXXX)

image=localhost/echomux-kube-play
tag=$$
played=

# shellcheck source=test/container/images.sh
. "$(dirname "$0")/images.sh"
# nofile: enough for the conf's max_connections (a kubelet gives far more).
podman_settings "$work" 4096

cleanup() {
    if [ -n "$played" ]; then podman kube down "$played" >/dev/null 2>&1 || true; fi
    if podman image exists "$image:$tag"; then
        chain=$(image_chain "$image:$tag")
        podman untag "$image:$tag" >/dev/null 2>&1 || true
        # shellcheck disable=SC2086 # one id per word
        remove_dangling $chain
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The manifests' own ports, which kube play publishes on the host. Two suites on one host (two
# checkouts, a CI run beside a developer's) would meet on them: one kube play at a time.
k8s=$src/deploy/kubernetes
exec {ports_lock}>/tmp/echomux-kube-play-ports.lock
flock -w 1200 "$ports_lock" || fail "another kube play test held the host ports for 20 min"
# Not inherited by podman's children (conmon, the network's helpers), which would hold the lock
# on after this test.
podman() { command podman "$@" {ports_lock}>&-; }
for port in 7007 9100; do
    ! ss -Htln "sport = :$port" | grep -q . || skip "port $port is in use on this host; kube play publishes the manifests' ports there"
done

debian_base_image "$work"
echo "building the image"
build_start=$(date +%s)
build_server_image "$src" "$image:$tag" "$work/build.log"
echo "built in $(($(date +%s) - build_start)) s"

# deploy/kubernetes as `kubectl apply -k` would send it, with this run's image set the way a
# user sets theirs (images:), one replica (see above), and only the kinds kube play reads.
kustomization_over "$work/render" "$k8s"
cat >>"$work/render/kustomization.yaml" <<EOF
images:
  - name: registry.example.com/echomux/echomux
    newName: $image
    newTag: "$tag"
replicas:
  - name: echomux
    count: 1
EOF
kubectl kustomize "$work/render" >"$work/rendered.yaml" || fail "kubectl kustomize failed"
# Facts of the manifests the checks below compare with: the probes, the grace period, the
# conf's shutdown_delay, and which kinds are left out.
python3 - "$work/rendered.yaml" "$work/play.yaml" >"$work/facts" <<'EOF'
import sys
import yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
played = [d for d in docs if d["kind"] in ("Deployment", "ConfigMap", "Service")]
open(sys.argv[2], "w").write(yaml.safe_dump_all(played))
print("left_out='" + ", ".join(sorted({d["kind"] for d in docs} - {d["kind"] for d in played})) + "'")
pod = next(d for d in played if d["kind"] == "Deployment")["spec"]["template"]["spec"]
container = next(c for c in pod["containers"] if c["name"] == "echomux")
ports = {p["name"]: p["containerPort"] for p in container["ports"]}
for name in ("readinessProbe", "livenessProbe"):
    probe = container[name]
    port = probe["httpGet"]["port"]
    print(f"{name}_path={probe['httpGet']['path']} {name}_port={ports.get(port, port)}")
live = container["livenessProbe"]
print(f"live_interval={live.get('periodSeconds', 10)} live_timeout={live.get('timeoutSeconds', 1)} "
      f"live_retries={live.get('failureThreshold', 3)} live_start={live.get('initialDelaySeconds', 0)}")
print(f"grace={pod.get('terminationGracePeriodSeconds', 30)}")
conf = next(d for d in played if d["kind"] == "ConfigMap")["data"]["echomux.conf"]
print("delay=" + next(line.split("=")[1].strip() for line in conf.splitlines() if line.startswith("shutdown_delay")))
EOF
# shellcheck disable=SC1091 # written just above
. "$work/facts"
echo "playing Deployment, ConfigMap, Services (left out, kube play has no use for them: $left_out)"

played=$work/play.yaml
podman kube play "$played" >"$work/play.log" 2>&1 || { cat "$work/play.log"; fail "podman kube play failed"; }
pod=echomux-pod-0
ctr=$pod-echomux
logs() { podman logs "$ctr" 2>&1; }
for _ in $(seq 100); do
    logs | grep -q "metrics on http" && break
    [ "$(podman inspect --format '{{.State.Running}}' "$ctr")" = true ] || break
    sleep 0.1
done
logs | grep -q "metrics on http" || { logs; fail "the pod did not start"; }
# The conf came from the ConfigMap (listen = ::, which the image's own conf does not set).
logs | grep -q "listening on \[::\]:7007 " || { logs; fail "not listening as the ConfigMap's conf says"; }
! logs | grep -q " warn: " || { logs; fail "echomux warned at start"; }

http() { # PORT PATH: the status line and body
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3
    cat <&3
    exec 3<&-
}
status() { http "$1" "$2" | head -n 1 | tr -d '\r'; }

echo "case: echo, the greeting names the pod (POD_NAME from the downward API), metrics"
reply=$(printf 'through kube play' | nc -N 127.0.0.1 7007)
case "$(echo "$reply" | head -n 1)" in "echomux $pod sees you as "*) ;; *) fail "the greeting does not name the pod: '$reply'" ;; esac
[ "$(echo "$reply" | tail -n +2)" = "through kube play" ] || fail "wrong echo: '$reply'"
page=$(http 9100 /metrics)
echo "$page" | grep -q '^echomux_connections_accepted_total{listener="main"} 1$' || { echo "$page" | head -20; fail "metrics: not 1 connection"; }
echo "$page" | grep -q '^echomux_received_bytes_total{listener="main"} 17$' || fail "metrics: not 17 bytes received"

echo "case: the liveness probe as a podman healthcheck"
health=$(podman inspect --format '{{json .Config.Healthcheck}}' "$ctr")
expect="\"StartPeriod\":${live_start}000000000,\"Interval\":${live_interval}000000000,\"Timeout\":${live_timeout}000000000,\"Retries\":${live_retries}}"
case "$health" in *"$expect") ;; *) fail "healthcheck $health: not the probe's timing ($expect)" ;; esac
case "$health" in *'"CMD-SHELL","curl"'*"/livez"*) ;; *) fail "healthcheck $health: not podman 4.3's curl command for /livez" ;; esac
if podman healthcheck run "$ctr" >/dev/null 2>&1; then
    echo "NOTE: podman ran the healthcheck: this podman probes without curl in the image; check it here"
else
    echo "NOT CHECKED: the healthcheck ($health) cannot run in the scratch image (no shell, no curl)"
fi
probe_ok() { # NAME PORT PATH
    case "$(status "$2" "$3")" in *" 200 "*) ;; *) fail "$1: GET $3 on $2: $(status "$2" "$3")" ;; esac
    echo "$1: GET $3 on port $2: 200, as the kubelet would see it"
}
probe_ok readinessProbe "$readinessProbe_port" "$readinessProbe_path"
probe_ok livenessProbe "$livenessProbe_port" "$livenessProbe_path"

echo "case: stopped as the kubelet stops a pod, a client held open, then kube down"
# nc -N, so that closing its input half-closes the connection (bash's /dev/tcp cannot).
coproc held { nc -N 127.0.0.1 7007; }
# bash closes a coproc's descriptors when it exits, and nc exits at the server's EOF, maybe
# before the last read: read from a copy of our own.
to_held=${held[1]}
exec {from_held}<&"${held[0]}"
read -r -t 5 greeting <&"$from_held" || fail "no greeting on the held connection"
case "$greeting" in "echomux $pod sees you as "*) ;; *) fail "held connection's greeting: '$greeting'" ;; esac
printf 'before the stop\n' >&"$to_held"
read -r -t 5 line <&"$from_held" && [ "$line" = "before the stop" ] || fail "no echo before the stop: '$line'"
stop_start=$(date +%s%N)
podman stop -t "$grace" "$ctr" >"$work/stop.log" 2>&1 &
stopper=$!
for _ in $(seq 100); do
    logs | grep -q "received SIGTERM" && break
    sleep 0.1
done
logs | grep -q "received SIGTERM" || { logs; fail "no SIGTERM reached echomux"; }
# During shutdown_delay: out of the Service's endpoints (readiness 503), never restarted
# (liveness 200), and still accepting whoever a stale endpoint list sends.
case "$(status "$readinessProbe_port" "$readinessProbe_path")" in *" 503 "*) ;; *) fail "readiness did not turn 503 at SIGTERM" ;; esac
case "$(status "$livenessProbe_port" "$livenessProbe_path")" in *" 200 "*) ;; *) fail "liveness did not stay 200 at SIGTERM" ;; esac
reply=$(printf 'late' | nc -N 127.0.0.1 7007) || true
case "$reply" in *late) ;; *) fail "a client during shutdown_delay was not served: '$reply'" ;; esac
printf 'during the drain\n' >&"$to_held"
read -r -t 5 line <&"$from_held" && [ "$line" = "during the drain" ] || fail "no echo during the drain: '$line'"
# The held client ends its side: it gets the rest and a clean EOF, and echomux, with no
# connection left, exits once shutdown_delay is over.
printf 'last words' >&"$to_held"
exec {to_held}>&-
rest=$(timeout 20 cat <&"$from_held") || fail "the held connection did not end in a clean EOF"
wait "$stopper" || { cat "$work/stop.log"; fail "podman pod stop failed"; }
stop_ms=$((($(date +%s%N) - stop_start) / 1000000))
[ "$rest" = "last words" ] || fail "the held client got '$rest', not its last words"
code=$(podman inspect --format '{{.State.ExitCode}}' "$ctr")
[ "$code" = 0 ] || { logs; fail "echomux exited $code, not 0"; }
logs | grep -q "stopped: accepted=3 " || { logs | tail -n 5; fail "no 'stopped: accepted=3' line"; }
echo "stopped in $stop_ms ms (shutdown_delay $delay s), exit 0"
[ "$stop_ms" -lt $((grace * 1000)) ] || fail "the stop took longer than the grace period"
podman kube down "$played" >"$work/down.log" 2>&1 || { cat "$work/down.log"; fail "podman kube down failed"; }
played=
! podman pod exists "$pod" || fail "kube down left the pod"
echo "kube play test passed"
