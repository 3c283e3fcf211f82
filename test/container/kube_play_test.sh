#!/bin/bash
# shellcheck disable=SC2154 # left_out, *_path, *_port, live_*, grace, delay, config_map: from $work/*.facts
# SPDX-License-Identifier: BSL-1.0
# The Kubernetes manifests run by a real engine: `podman kube play` of deploy/kubernetes as
# kubectl renders it (the Deployment, its ConfigMap and the Services; the other kinds have no
# meaning to podman), with the image built from the Dockerfile. Checks that the pod starts
# from the manifests (the conf from the ConfigMap, POD_NAME from the downward API), echoes,
# serves /metrics, that its liveness probe became a podman healthcheck with the probe's
# timing, that the probes' endpoints answer as the kubelet would see them, and that a stop
# drains (readiness 503, liveness 200, still accepting for shutdown_delay, a held client
# served to its end) and exits 0, then `podman kube down` removes it.
# Then overlays/tls, with the Secret echomux-tls made as README says (a throwaway CA and
# certificate from scripts/tls-certs.sh, `kubectl create secret tls`): TLS on 7443 verified
# against that CA for the Service's name (SNI and hostname check), the chain served is the
# Secret's tls.crt, the exact echo, a client checking for another name refuses it (counted
# as protocol_error), plaintext still on 7007, and on /metrics the tls listener's connections,
# handshakes and bytes, and its certificate's not-after gauge equal to the certificate's notAfter.
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
# - A Secret: kube play stores a played `kind: Secret` whole, as a podman secret of its name,
#   and a `secret:` volume becomes a podman volume of the same name whose files it writes once,
#   at play. Two bugs of 4.3.1, both fixed in 4.4: a secret volume without `optional:` crashes
#   kube play (nil pointer in VolumeFromSecret; the overlay writes out Kubernetes' default,
#   optional: false), and the files hold the Secret's data still base64-encoded (podman issues
#   16269 and 16625). So on 4.3 the test gives podman the Secret with its data decoded, by
#   `podman secret create echomux-tls` (what a secret: volume reads), and plays the rest; on
#   4.4 and later it plays kubectl's Secret with the overlay (that branch does not run here).
#   kube down leaves the podman secret and the volume, as it leaves the ConfigMap's volume:
#   the test removes them.
# - Certificate rotation: the kubelet swaps a mounted Secret's files when the Secret changes;
#   podman never rewrites the volume of a running pod, and there is no `kubectl rollout
#   restart`. So neither the swap nor echomux's SIGHUP on it is checked here (the SIGHUP
#   rotation: test/conformance/tls_clients_test.cpp), only that a pod started from the Secret
#   serves it, which is what README's recommended rotation (a restart) comes down to.
# - The Service's names do not resolve: TLS is reached on the host's 127.0.0.1:7443 with the
#   name echomux.default.svc sent as SNI and checked, as a client in the cluster would.
# Exits 77 (ctest: skipped) when a tool is missing, we are not root, the manifests' ports
# are taken on this host, or a podman secret or volume echomux-tls is there already.
# Usage: kube_play_test.sh SOURCE_DIR
set -eu
src=$(cd "$1" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
command -v openssl >/dev/null 2>&1 || skip "needs the openssl command (apt-get install openssl)"
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
secret_made=
config_volume_made=

# shellcheck source=test/container/images.sh
. "$(dirname "$0")/images.sh"
# nofile: enough for the conf's max_connections (a kubelet gives far more).
podman_settings "$work" 4096

cleanup() {
    if [ -n "$played" ]; then podman kube down "$played" >/dev/null 2>&1 || true; fi
    # podman 4.3's kube down leaves both (later podman versions remove the podman secret).
    if [ -n "$secret_made" ]; then
        podman secret rm echomux-tls >/dev/null 2>&1 || true
        podman volume rm echomux-tls >/dev/null 2>&1 || true
    fi
    # And the volume it made of the ConfigMap, unless it was there before.
    if [ -n "$config_volume_made" ]; then podman volume rm "$config_map" >/dev/null 2>&1 || true; fi
    if podman image exists "$image:$tag"; then
        chain=$(image_chain "$image:$tag")
        podman untag "$image:$tag" >/dev/null 2>&1 || true
        # shellcheck disable=SC2086 # one id per word
        remove_dangling $chain
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The manifests' own ports, which kube play publishes on the host: one suite at a time
# (hold_podman_lock, images.sh), and no one else on them.
k8s=$src/deploy/kubernetes
hold_podman_lock
for port in 7007 9100 7443; do
    ! ss -Htln "sport = :$port" | grep -q . || skip "port $port is in use on this host; kube play publishes the manifests' ports there"
done
# The overlay's Secret, and the volume kube play makes of it, by the manifests' name: never
# replace someone else's (this test removes its own).
! podman secret inspect echomux-tls >/dev/null 2>&1 || skip "a podman secret echomux-tls is on this host (podman secret rm echomux-tls, if it is a leftover)"
! podman volume exists echomux-tls || skip "a podman volume echomux-tls is on this host (podman volume rm echomux-tls, if it is a leftover)"

debian_base_image "$work"
echo "building the image"
build_start=$(date +%s)
build_server_image "$src" "$image:$tag" "$work/build.log"
echo "built in $(($(date +%s) - build_start)) s"

# A kustomization as `kubectl apply -k` would send it, with this run's image set the way a user
# sets theirs (images:), one replica (see above), and only the kinds kube play reads, into
# $work/NAME.yaml; into $work/NAME.facts, facts of the manifests the checks below compare with:
# the probes, the grace period, the conf's shutdown_delay, the TLS port, and the kinds left out.
render_for_play() { # NAME KUSTOMIZATION
    kustomization_over "$work/$1" "$2"
    cat >>"$work/$1/kustomization.yaml" <<EOF
images:
  - name: registry.example.com/echomux/echomux
    newName: $image
    newTag: "$tag"
replicas:
  - name: echomux
    count: 1
EOF
    kubectl kustomize "$work/$1" >"$work/$1.rendered.yaml" || fail "kubectl kustomize $2 failed"
    python3 - "$work/$1.rendered.yaml" "$work/$1.yaml" >"$work/$1.facts" <<'EOF'
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
config = next(d for d in played if d["kind"] == "ConfigMap")
print("config_map=" + config["metadata"]["name"])
conf = config["data"]["echomux.conf"]
print("delay=" + next(line.split("=")[1].strip() for line in conf.splitlines() if line.startswith("shutdown_delay")))
env = {e["name"]: e.get("value", "") for e in container.get("env") or []}
print("tls_port=" + env.get("ECHOMUX_TLS_PORT", ""))
EOF
}
render_for_play base "$k8s"
render_for_play tls "$k8s/overlays/tls"
# shellcheck disable=SC1091 # written just above
. "$work/base.facts"
echo "playing Deployment, ConfigMap, Services (left out, kube play has no use for them: $left_out)"

pod=echomux-pod-0
ctr=$pod-echomux
logs() { podman logs "$ctr" 2>&1; }
play() { # YAML: plays it and waits for echomux to serve
    played=$1
    podman kube play "$played" >"$work/play.log" 2>&1 || { cat "$work/play.log"; fail "podman kube play failed"; }
    for _ in $(seq 100); do
        logs | grep -q "metrics on http" && break
        [ "$(podman inspect --format '{{.State.Running}}' "$ctr")" = true ] || break
        sleep 0.1
    done
    logs | grep -q "metrics on http" || { logs; fail "the pod did not start"; }
}
podman volume exists "$config_map" || config_volume_made=1
play "$work/base.yaml"
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

echo "case: overlays/tls with its Secret made as a user makes it: TLS on 7443 beside plaintext"
# A throwaway CA and a certificate for the Service's names, then the kubernetes.io/tls Secret,
# as README's "TLS beside plaintext" makes them.
sh "$src/scripts/tls-certs.sh" "$work/certs" echomux echomux.default.svc echomux.default.svc.cluster.local >/dev/null
kubectl create secret tls echomux-tls --cert="$work/certs/server.pem" --key="$work/certs/server.key" \
    --dry-run=client -o yaml >"$work/secret.yaml" || fail "kubectl create secret tls failed"
secret_made=1
case "$(podman version --format '{{.Client.Version}}')" in
    [0-3].* | 4.[0-3].*)
        # podman 4.3 writes a Secret's data into the volume still base64-encoded (podman issues
        # 16269 and 16625, fixed in 4.4): it is given the Secret with its data decoded, as the
        # podman secret a secret: volume reads. Played as kubectl made it, echomux would be
        # handed base64 text for its certificate.
        python3 - "$work/secret.yaml" >"$work/secret-decoded.yaml" <<'EOF'
import base64
import sys
import yaml
secret = yaml.safe_load(open(sys.argv[1]))
secret["data"] = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
print(yaml.safe_dump(secret), end="")
EOF
        podman secret create echomux-tls "$work/secret-decoded.yaml" >/dev/null || fail "podman secret create failed"
        cp "$work/tls.yaml" "$work/tls-play.yaml"
        ;;
    *) # the Secret and the overlay together, as `kubectl apply` would send them
        { cat "$work/secret.yaml" && echo --- && cat "$work/tls.yaml"; } >"$work/tls-play.yaml" ;;
esac
# shellcheck disable=SC1091 # written by render_for_play
. "$work/tls.facts"
play "$work/tls-play.yaml"
logs | grep -q "listening on \[::\]:7007 " || { logs; fail "the overlay's pod does not listen on 7007"; }
logs | grep -q "listening on \[::\]:$tls_port .*listener=tls.*tls=on" || { logs; fail "no TLS listener on $tls_port"; }
! logs | grep -q " warn: " || { logs; fail "echomux warned at start"; }

# Verified against the throwaway CA, for the Service's name (sent as SNI and checked).
name=echomux.default.svc
verify=(-verify_return_error -CAfile "$work/certs/ca.pem" -servername "$name" -verify_hostname "$name"
    -connect "127.0.0.1:$tls_port")
served=$(openssl s_client -showcerts "${verify[@]}" </dev/null 2>"$work/s_client.log") \
    || { cat "$work/s_client.log"; fail "TLS on $tls_port: the handshake or the verification failed"; }
[ "$(echo "$served" | sed -n '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p')" = "$(cat "$work/certs/server.pem")" ] \
    || { echo "$served"; fail "the chain served is not the Secret's tls.crt"; }
# -no_ign_eof: closing its input ends the session with close_notify, once the echo is read.
coproc tls_client { openssl s_client -quiet -no_ign_eof "${verify[@]}" 2>"$work/s_client.log"; }
tls_pid=$tls_client_PID
to_tls=${tls_client[1]}
exec {from_tls}<&"${tls_client[0]}"
read -r -t 10 greeting <&"$from_tls" || { cat "$work/s_client.log"; fail "no greeting over TLS"; }
case "$greeting" in "echomux $pod sees you as "*) ;; *) fail "TLS greeting: '$greeting'" ;; esac
printf 'through tls\n' >&"$to_tls"
read -r -t 5 line <&"$from_tls" || line="(nothing in 5 s)"
[ "$line" = "through tls" ] || fail "wrong echo over TLS: '$line'"
exec {to_tls}>&-
rest=$(timeout 5 cat <&"$from_tls") || fail "the TLS session did not end"
[ -z "$rest" ] || fail "more than the echo over TLS: '$rest'"
wait "$tls_pid" || { cat "$work/s_client.log"; fail "openssl s_client ended the TLS session with an error"; }
# A certificate for other names is refused: the check above can fail.
if openssl s_client -verify_return_error -CAfile "$work/certs/ca.pem" -servername elsewhere.example \
    -verify_hostname elsewhere.example -connect "127.0.0.1:$tls_port" </dev/null >"$work/s_client.log" 2>&1; then
    fail "the certificate was accepted for elsewhere.example"
fi
grep -q "hostname mismatch" "$work/s_client.log" || { cat "$work/s_client.log"; fail "not refused for its name"; }
reply=$(printf 'beside tls' | nc -N 127.0.0.1 7007)
[ "$(echo "$reply" | tail -n +2)" = "beside tls" ] || fail "wrong plaintext echo beside TLS: '$reply'"

# The refused handshake is counted once echomux reads the client's alert: maybe after this.
for _ in $(seq 50); do
    page=$(http 9100 /metrics)
    echo "$page" | grep -q '^echomux_tls_handshakes_total{listener="tls",result="protocol_error"} 1$' && break
    sleep 0.1
done
metric() { echo "$page" | grep -qxF "$1" || { echo "$page" | grep -F "${1%% *}"; fail "metrics: not '$1'"; }; }
metric 'echomux_listener_info{listener="tls",mode="echo"} 1'
metric 'echomux_connections_accepted_total{listener="tls"} 3'
metric 'echomux_tls_handshakes_total{listener="tls",result="ok"} 2'
metric 'echomux_tls_handshakes_total{listener="tls",result="protocol_error"} 1'
metric 'echomux_received_bytes_total{listener="tls"} 12'
metric 'echomux_connections_accepted_total{listener="main"} 1'
not_after=$(date -d "$(openssl x509 -enddate -noout -in "$work/certs/server.pem" | sed 's/^notAfter=//')" +%s)
metric "echomux_tls_certificate_not_after_seconds{listener=\"tls\"} $not_after"
echo "TLS on $tls_port: verified for $name, exact echo, the Secret's chain; plaintext on 7007; notAfter $not_after"
# The drain was checked above. Stopped first: kube down of the running pod took 4 s here, this 1.
podman stop -t 0 "$ctr" >"$work/stop.log" 2>&1 || { cat "$work/stop.log"; fail "podman stop failed"; }
podman kube down "$played" >"$work/down.log" 2>&1 || { cat "$work/down.log"; fail "podman kube down failed"; }
played=
! podman pod exists "$pod" || fail "kube down left the overlay's pod"
echo "kube play test passed"
