# echomux container image. Build: docker build -t echomux .   (or: podman build -t echomux .)
# Run:   docker run --rm -p 7007:7007 -p 9100:9100 echomux

# Build stage: the same CMake build as on a workstation, and the unit tests must pass,
# all but the one that needs more than FD_SETSIZE descriptors: image builds often run
# under a hard limit of 1024 (ctest runs that one on the host).
FROM docker.io/library/debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake g++ make libboost1.81-dev \
      libboost-program-options1.81-dev libboost-test1.81-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# .git stays out of the image (.dockerignore): pass the revision in, or it reports "unknown".
ARG REVISION=
COPY CMakeLists.txt ./
COPY cmake cmake
COPY include include
COPY src src
COPY test test
COPY conf conf
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DECHOMUX_REVISION="$REVISION" \
 && cmake --build build -j"$(nproc)" --target echomux unit_tests \
 && ./build/test/unit_tests --run_test='!selector/select_watches_fds_beyond_fd_setsize' \
 && strip build/echomux \
 && sed 's/^metrics_port = 0$/metrics_port = 9100/' conf/echomux.conf > build/echomux.conf \
 && grep -q '^metrics_port = 9100$' build/echomux.conf

# Runtime stage: the binary, its one shared Boost library, a non-root user.
FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libboost-program-options1.81.0 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin echomux
COPY --from=build /src/build/echomux /usr/local/bin/echomux
# The shipped conf with the metrics endpoint on; mount another over it, or set ECHOMUX_*.
COPY --from=build /src/build/echomux.conf /etc/echomux/echomux.conf
USER 10001:10001
EXPOSE 7007/tcp 9100/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9100 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# Exec form: echomux is PID 1 and takes SIGTERM itself (docker stop drains, exits 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/echomux", "--config", "/etc/echomux/echomux.conf"]
