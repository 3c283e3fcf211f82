// SPDX-License-Identifier: BSL-1.0
// `echomux --healthcheck`: the server's own readiness probe, for a container HEALTHCHECK
// on an image with no shell or curl. It reads the same conf file, environment and flags as
// the server, so it probes the metrics port the server was given, wherever that moved.
#pragma once

#include "echomux/server/config.hpp"

#include <ostream>
#include <string>

namespace echomux {

// GET `path` (/healthz, or /livez for --healthcheck=live) on config's metrics endpoint (an
// unspecified metrics_listen, 0.0.0.0 or ::, is probed on loopback), within 2 s. Writes one
// line to `out`; returns the exit status: 0 when the answer is 200, 1 for anything else (no
// endpoint configured, refused, timed out, 503 while stopping or with a wedged loop).
int probe_health(const Config& config, std::ostream& out, const std::string& path = "/healthz");

}  // namespace echomux
