// echomux-client: two-socket, selectors and interactive echo clients, and udp.
#include "client.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace po = boost::program_options;
using namespace echomux::client;

int main(int argc, char** argv) {
    const std::string usage =
        "usage: echomux-client two-socket|selectors|interactive [--host H] [--port P] [--mode echo|upper] "
        "[--timeout S]\n"
        "       echomux-client udp [--host H] [--port P] [--mode echo|upper] [--timeout S] [--retries N] "
        "[--text T ...]\n"
        "udp sends each --text (or each line of stdin) as a datagram and prints its reply; it sends again\n"
        "after --timeout, --retries times, then counts the datagram lost (exit status 1 if any was).\n";
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
        "timeout", po::value(&o.timeout)->default_value(o.timeout), "seconds to wait for a reply")(
        "retries", po::value(&o.retries)->default_value(o.retries), "udp: sends again after a timeout")(
        "text", po::value(&o.texts)->composing(), "udp: a datagram to send (repeatable; default: stdin lines)");
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc - 1, argv + 1).options(desc).run(), vm);
        po::notify(vm);
        const auto m = echomux::parse_mode(mode);
        if (!m || *m == echomux::Mode::prefix) throw po::error("--mode must be echo or upper");
        o.mode = *m;
        if (o.retries < 0 || o.retries > 100) throw po::error("--retries must be from 0 to 100");
        if (!(o.timeout > 0) || o.timeout > 3600) throw po::error("--timeout must be above 0 and at most 3600");
    } catch (const po::error& e) {
        std::cerr << "echomux-client: " << e.what() << "\n" << usage;
        return 2;
    }
    const std::string command = argv[1];
    try {
        if (command == "two-socket") return two_socket(o);
        if (command == "selectors") return selectors_client(o);
        if (command == "interactive") return interactive(o);
        if (command == "udp") return udp_client(o);
        std::cerr << "echomux-client: unknown command '" << command << "'\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "echomux-client: " << e.what() << "\n";
        return 1;
    }
}
