// echomux-client: two-socket, selectors and interactive echo clients.
#include "client.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace po = boost::program_options;
using namespace echomux::client;

int main(int argc, char** argv) {
    const std::string usage =
        "usage: echomux-client two-socket|selectors|interactive [--host H] [--port P] [--mode echo|upper] "
        "[--timeout S]\n";
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << usage;
        return argc < 2 ? 2 : 0;
    }
    Options o;
    std::string mode = "echo";
    po::options_description desc("options");
    desc.add_options()("host", po::value(&o.host)->default_value(o.host), "server address")(
        "port,p", po::value(&o.port)->default_value(o.port), "server port")(
        "mode", po::value(&mode)->default_value(mode), "reply the server is expected to give: echo or upper")(
        "timeout", po::value(&o.timeout)->default_value(o.timeout), "seconds to wait for a reply");
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc - 1, argv + 1).options(desc).run(), vm);
        po::notify(vm);
        const auto m = echomux::parse_mode(mode);
        if (!m || *m == echomux::Mode::prefix) throw po::error("--mode must be echo or upper");
        o.mode = *m;
    } catch (const po::error& e) {
        std::cerr << "echomux-client: " << e.what() << "\n" << usage;
        return 2;
    }
    const std::string command = argv[1];
    try {
        if (command == "two-socket") return two_socket(o);
        if (command == "selectors") return selectors_client(o);
        if (command == "interactive") return interactive(o);
        std::cerr << "echomux-client: unknown command '" << command << "'\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "echomux-client: " << e.what() << "\n";
        return 1;
    }
}
