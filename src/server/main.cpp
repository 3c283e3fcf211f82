// SPDX-License-Identifier: BSL-1.0
// echomux: RFC 862 TCP echo server.
#include "echomux/server/config.hpp"
#include "echomux/server/health_probe.hpp"
#include "echomux/util/log.hpp"
#include "echomux/server/server.hpp"

#include <malloc.h>

#include <iostream>

extern char** environ;

int main(int argc, char** argv) {
    // Connection buffers are freed as soon as they empty; from 64 KiB up, glibc should
    // hand them back to the kernel at once. Left to itself it raises this threshold to the
    // largest block freed so far and keeps such blocks in its heap, where fragmentation
    // can hold tens of MiB after once-slow clients went idle.
    ::mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    using echomux::LoadedConfig;
    LoadedConfig loaded;
    try {
        loaded = echomux::load_config(argc, argv, environ);
    } catch (const echomux::ConfigError& e) {
        if (e.log_format == echomux::log::Format::text) {
            std::cerr << "echomux: configuration error: " << e.what() << "\n";
        } else {  // a log collector gets the format it was told to expect
            echomux::log::set_format(e.log_format);
            echomux::log::error("configuration error: ", e.what());
        }
        return 2;
    }
    echomux::log::set_format(loaded.config.log_format);
    echomux::log::set_level(loaded.config.log_level);
    for (const auto& warning : loaded.warnings) echomux::log::warn(warning);
    if (loaded.action == LoadedConfig::Action::healthcheck)
        return echomux::probe_health(loaded.config, std::cout, loaded.probe_liveness ? "/livez" : "/healthz");
    if (loaded.action != LoadedConfig::Action::run) {
        std::cout << loaded.text;
        return 0;
    }
    return echomux::run_server(loaded, [argc, argv] { return echomux::load_config(argc, argv, environ); });
}
