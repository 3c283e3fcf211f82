# SPDX-License-Identifier: BSL-1.0
# echomux container image: one static echomux on an empty (scratch) base.
# Build: docker build -t echomux .
#    or: podman build --format docker -t echomux .   (podman's default OCI format drops HEALTHCHECK)
# Run:   docker run --rm -p 7007:7007 -p 9100:9100 echomux
# Target bench: a second image, one static echomux-bench (the load generator), which
# deploy/kubernetes/bench runs against the server: docker build --target bench -t echomux-bench .

# Build stage: the server and the bench, linked statically (ECHOMUX_STATIC); the test suite
# runs on the host, so Boost.Test is not installed here.
# Multi-arch: the build stage always runs on the build host's own architecture
# ($BUILDPLATFORM) and compiles for $TARGETARCH, natively or with Debian's cross toolchain
# (crossbuild-essential-arm64 and the arm64 -dev packages, by dpkg multiarch): no emulation.
#   docker buildx build --platform linux/amd64,linux/arm64 -t echomux .
# podman 4.3 (buildah 1.28) ignores FROM's --platform (buildah issue 3712) and looks for an
# arm64 Debian; named by image id, the local (amd64) one is taken as it is:
#   podman build --format docker --platform linux/amd64,linux/arm64 --manifest echomux \
#     --build-arg BUILDER="$(podman image inspect --format '{{.Id}}' debian:bookworm)" .
ARG BUILDER=docker.io/library/debian:bookworm
FROM --platform=$BUILDPLATFORM $BUILDER AS build
ARG TARGETARCH
# The GNU triplet of the target, and whether it is a cross build; read by the RUNs below.
RUN native=$(dpkg --print-architecture); target=${TARGETARCH:-$native}; \
    case "$target" in amd64) triplet=x86_64-linux-gnu ;; arm64) triplet=aarch64-linux-gnu ;; \
      *) echo "TARGETARCH $target: only amd64 and arm64 are built" >&2; exit 1 ;; esac; \
    printf 'target=%s\ntriplet=%s\ncross=%s\n' "$target" "$triplet" "$([ "$target" = "$native" ] && echo no || echo yes)" \
      > /etc/echomux-target
RUN . /etc/echomux-target; \
    if [ "$cross" = yes ]; then \
      dpkg --add-architecture "$target"; \
      compiler="crossbuild-essential-$target"; \
    else compiler=g++; fi; \
    apt-get update \
 && apt-get install -y --no-install-recommends cmake make pkg-config file "$compiler" \
      "libboost1.81-dev:$target" "libboost-program-options1.81-dev:$target" "liburing-dev:$target" \
      "libssl-dev:$target" "zlib1g-dev:$target" \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build reads (.dockerignore keeps the rest out): a change to the tests, docs
# or deploy/ reuses the cached compile.
COPY CMakeLists.txt ./
COPY cmake cmake
COPY include include
COPY src src
COPY conf conf
# Read when configuring (cmake/Package.cmake, BashCompletion.cmake), though not for the images.
COPY LICENSE ./
COPY packaging packaging
# .git stays out of the image: pass the revision in (git describe), or it reports "unknown".
ARG REVISION=
# The image's conf is the shipped one with the metrics endpoint on (the HEALTHCHECK probes
# it) and a drain that ends well inside docker/podman stop's default 10 s: drain_timeout 5
# plus shutdown_delay 0. Raise them with the stop timeout (README, "Run in a container").
# A cross build cannot run what it built: the native build checks the conf with the binary,
# and `file` checks every build's architecture and static link.
RUN . /etc/echomux-target; \
    if [ "$cross" = yes ]; then \
      set -- -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="${triplet%%-*}" \
        -DCMAKE_C_COMPILER="$triplet-gcc" -DCMAKE_CXX_COMPILER="$triplet-g++"; \
      export PKG_CONFIG_LIBDIR="/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig"; \
    fi; \
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DECHOMUX_STATIC=ON -DECHOMUX_TESTS=OFF \
      -DECHOMUX_REVISION="$REVISION" "$@" \
 && cmake --build build -j"$(nproc)" --target echomux echomux-bench \
 && "$triplet-strip" build/echomux build/echomux-bench \
 && case "$target" in amd64) machine=x86-64 ;; arm64) machine=aarch64 ;; esac \
 && for binary in build/echomux build/echomux-bench; do \
      file "$binary" | grep "$machine" | grep -q "statically linked" || { file "$binary"; exit 1; }; done \
 && sed -e 's/^metrics_port = 0$/metrics_port = 9100/' -e 's/^drain_timeout = 10$/drain_timeout = 5/' \
      conf/echomux.conf > build/echomux.conf \
 && grep -q '^metrics_port = 9100$' build/echomux.conf \
 && grep -q '^drain_timeout = 5$' build/echomux.conf \
 && grep -q '^shutdown_delay = 0$' build/echomux.conf \
 && grep -q '^listen = 0.0.0.0$' build/echomux.conf \
 && if [ "$cross" = no ]; then ./build/echomux-bench --version >/dev/null \
      && ./build/echomux --config build/echomux.conf --print-config >/dev/null; fi

# Target bench: the load generator alone, in an image of its own rather than beside echomux:
# static, it carries its own C++ runtime, and would add its whole size to every server pull
# for a tool one Job runs (README, "Run in a container": the figures, measured).
# Same user and labels as the server's; the labels after the file (see below).
FROM scratch AS bench
COPY --from=build /src/build/echomux-bench /usr/local/bin/echomux-bench
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://git.example.com/echomux/echomux
LABEL org.opencontainers.image.title="echomux-bench" \
      org.opencontainers.image.description="Load generator for echo servers: verifies every byte, reports JSON" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.created="$CREATED" \
      org.opencontainers.image.licenses="BSL-1.0"
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/echomux-bench"]
CMD ["--help"]

# Runtime stage, and the default target (the last): nothing but the server and its conf. No shell, no libc, no user database:
# the numeric USER is what Kubernetes' runAsNonRoot can verify, and the image runs under any
# other uid too (read-only files, nothing written).
FROM scratch
COPY --from=build /src/build/echomux /usr/local/bin/echomux
# listen = 0.0.0.0 (metrics_listen follows it), not ::, so that the HEALTHCHECK, which probes
# 127.0.0.1 for 0.0.0.0 but ::1 for ::, works where the container's IPv6 is off (with
# disable_ipv6 = 1, :: still binds but ::1 does not answer; with ipv6.disable=1 on the kernel,
# :: does not bind). Mount another conf over it, or set ECHOMUX_* (e.g. ECHOMUX_LISTEN=::).
COPY --from=build /src/build/echomux.conf /etc/echomux/echomux.conf
# The labels come after the files: podman/buildah 1.28 reuse a cached LABEL step even when a
# --build-arg in it changed (buildah issue 5501); here a new binary (a new REVISION) relabels.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://git.example.com/echomux/echomux
LABEL org.opencontainers.image.title="echomux" \
      org.opencontainers.image.description="TCP and UDP echo service (RFC 862) with Prometheus metrics" \
      org.opencontainers.image.source="$SOURCE" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.created="$CREATED" \
      org.opencontainers.image.licenses="BSL-1.0"
USER 10001:10001
EXPOSE 7007/tcp 7007/udp 9100/tcp
# No shell or curl here: echomux probes its own /healthz, at the port its conf and
# ECHOMUX_* environment give (2 s timeout), and exits 0 (healthy) or 1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/echomux", "--config", "/etc/echomux/echomux.conf", "--healthcheck"]
# Exec form: echomux is PID 1 and takes SIGTERM itself (stop drains, exits 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/echomux", "--config", "/etc/echomux/echomux.conf"]
