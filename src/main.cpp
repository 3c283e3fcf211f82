// echomux: RFC 862 TCP echo server.
#include "echomux/config.hpp"
#include "echomux/log.hpp"
#include "echomux/server.hpp"

#include <iostream>

extern char** environ;

int main(int argc, char** argv) {
    using echomux::LoadedConfig;
    LoadedConfig loaded;
    try {
        loaded = echomux::load_config(argc, argv, environ);
    } catch (const echomux::ConfigError& e) {
        std::cerr << "echomux: configuration error: " << e.what() << "\n";
        return 2;
    }
    echomux::log::set_level(loaded.config.log_level);
    for (const auto& warning : loaded.warnings) echomux::log::warn(warning);
    if (loaded.action != LoadedConfig::Action::run) {
        std::cout << loaded.text;
        return 0;
    }
    return echomux::run_server(loaded.config);
}
