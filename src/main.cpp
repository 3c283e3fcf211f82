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
    if (loaded.action != LoadedConfig::Action::run) {
        std::cout << loaded.text;
        return 0;
    }
    echomux::log::set_level(loaded.config.log_level);
    return echomux::run_server(loaded.config);
}
