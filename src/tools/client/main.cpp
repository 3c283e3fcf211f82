// SPDX-License-Identifier: BSL-1.0
// echomux-client: two-socket, selectors and interactive echo clients, and udp.
#include "client.hpp"
#include "tally.hpp"

#include "tools/command_line.hpp"
#include "tools/greeting.hpp"
#include "tools/tls_options.hpp"

#include <boost/program_options.hpp>

#include <cstring>
#include <iostream>
#include <sstream>

namespace po = boost::program_options;
using namespace echomux::client;

namespace {

const std::string kProgram = "echomux-client";

struct Command {
    const char* name;
    int (*run)(const Options&);
    bool udp;             // takes --retries and --text
    const char* summary;  // for the overall --help
    const char* what;     // for its own --help
};

const Command kCommands[] = {
    {"two-socket", two_socket, false, "two connections, a message in three parts (select() tutorial)",
     "Two connections; a message in three parts, each part sent on both and each reply printed\n"
     "(the select() tutorial client)."},
    {"selectors", selectors_client, false, "two non-blocking connections on one selector (selectors tutorial)",
     "Two non-blocking connections on one selector; each sends two messages, then only reads,\n"
     "and closes once all came back (the selectors tutorial client)."},
    {"interactive", interactive, false, "each line of stdin sent, its echo checked and printed",
     "Each line of stdin is sent, and its echo checked and printed; works with a pipe."},
    {"udp", udp_client, true, "each --text or stdin line sent as a datagram, lost ones counted",
     "Each --text (or each line of stdin) is sent as a datagram and its reply printed; sent again\n"
     "after --timeout, --retries times, then counted lost (exit status 1 if any was)."},
    // run: nullptr, as it takes options of its own (tally.hpp).
    {"tally", nullptr, false, "which replica behind one address answers each of N connections, and the skew",
     "Opens --count connections (or sends --count datagrams with --udp, each from its own socket) to one\n"
     "address and counts which replica answered each, told by its greeting and its prefix (a probe line\n"
     "shows both); prints the distribution and its skew. Exit status 1 if any failed."},
};

// The synopsis lines: the bash completion reads the commands and the --mode choices here.
const char* const kTcpSynopsis =
    "echomux-client two-socket|selectors|interactive [--host H] [--port P] [--mode echo|upper|prefix] [--timeout S] "
    "[--tls [--tls-ca F] ...]";
const char* const kUdpSynopsis =
    "echomux-client udp [--host H] [--port P] [--mode echo|upper|prefix] [--timeout S] [--retries N] [--text T ...]";
const char* const kTallySynopsis = "echomux-client tally [--host H] [--port P] [--count N] [--udp] [--timeout S]";

std::string synopsis(const Command& c) {
    if (c.udp) return kUdpSynopsis;
    if (!c.run) return kTallySynopsis;
    return kProgram + " " + c.name + " [--host H] [--port P] [--mode echo|upper|prefix] [--timeout S] [--tls [--tls-ca F] ...]";
}

// What parsing leaves to check: the mode and greeting as typed.
struct Typed {
    std::string mode = "echo", greeting = "0", tls_max_version;
};

// The options of TCP commands, of udp, or (both) of all; `typed` is checked after parsing.
po::options_description options_for(bool tcp, bool udp, Options& o, Typed& typed) {
    po::options_description desc;
    desc.add_options()("host", po::value(&o.host)->default_value(o.host),
                       "server name or address: localhost, 127.0.0.1, ::1 (each address of a name is tried in turn)")(
        "port,p", po::value(&o.port)->default_value(o.port), "server port")(
        "mode", po::value(&typed.mode)->default_value(typed.mode),
        "reply the server is expected to give: echo, upper or prefix (each line after --prefix)")(
        "prefix", po::value(&o.prefix), "mode prefix: the server's prefix as it sends it (placeholders expanded)")(
        "timeout", po::value(&o.timeout)->default_value(o.timeout),
        "seconds to wait for a connection or a reply (udp: per attempt)");
    if (tcp)
        desc.add_options()("greeting-lines", po::value(&typed.greeting)->default_value(typed.greeting),
                           "lines the server sends on connect, read and printed first; auto: found by a probe line "
                           "(whatever comes before its echo)");
    if (udp)
        desc.add_options()("retries", po::value(&o.retries)->default_value(o.retries),
                           "udp: sends again after a timeout, this many times")(
            "text", po::value(&o.texts)->composing(), "udp: a datagram to send (repeatable; default: stdin lines)");
    // udp takes them too, to refuse --tls in so many words.
    echomux::tools::add_tls_options(desc, o.tls, typed.tls_max_version);
    desc.add_options()("help,h", "print this help and exit");
    return desc;
}

std::string overall_help() {
    Options o;
    Typed typed;
    TallyOptions t;
    po::options_description desc = options_for(true, true, o, typed);
    desc.add(tally_options(t));
    desc.add_options()("version", "print the version and exit");
    std::ostringstream out;
    out << "Usage: " << kTcpSynopsis << "\n  or:  " << kUdpSynopsis << "\n  or:  " << kTallySynopsis << "\n  or:  " << kProgram
        << " --help|--version\n"
        << "Echo clients for any echo server, TCP or UDP: each checks that what comes back is what it sent\n"
           "(upper-cased with --mode upper) and shows where it differs. COMMAND --help tells one command.\n"
           "Exit status: 0 ok, 1 a wrong echo, no server, a timeout or a lost datagram, 2 bad usage.\n\n"
           "Commands:\n";
    for (const Command& c : kCommands)
        out << "  " << c.name << std::string(14 - std::strlen(c.name), ' ') << c.summary << "\n";
    out << "\n" << echomux::tools::options_help("Options", desc);
    return out.str();
}

// argv[0] is the command's name (the parser skips it, as it would a program's).
int run_command(const Command& command, int argc, char** argv) {
    const std::string help_command = kProgram + " " + command.name;
    Options o;
    Typed typed;
    TallyOptions t;
    po::options_description desc = options_for(!command.udp, command.udp, o, typed);
    if (!command.run) desc.add(tally_options(t));
    try {
        po::variables_map vm;
        // No positional arguments: a stray word is a mistake, not something to ignore.
        po::store(po::command_line_parser(argc, argv).options(desc).positional({}).run(), vm);
        if (vm.count("help")) {
            std::cout << "Usage: " << synopsis(command) << "\n"
                      << command.what << "\n\n"
                      << echomux::tools::options_help("Options", desc);
            return 0;
        }
        po::notify(vm);
        const auto m = echomux::parse_mode(typed.mode);
        if (!m) throw po::error("--mode must be echo, upper or prefix");
        o.mode = *m;
        if (const std::string why = echomux::tools::mode_and_prefix_mistake(o.mode, vm.count("prefix") > 0); !why.empty())
            throw po::error(why);
        try {
            o.greeting_lines = echomux::tools::parse_greeting_lines(typed.greeting);
        } catch (const std::invalid_argument& e) {
            throw po::error(e.what());
        }
        if (o.port < 1 || o.port > 65535) throw po::error("--port must be from 1 to 65535");
        if (o.retries < 0 || o.retries > 100) throw po::error("--retries must be from 0 to 100");
        if (!(o.timeout > 0) || o.timeout > 3600) throw po::error("--timeout must be above 0 and at most 3600");
        if (!command.run) check_tally_options(t);
        echomux::tools::check_tls_options(vm, o.tls, typed.tls_max_version);
        if ((command.udp || !command.run) && o.tls.enabled)
            throw po::error("--tls: no TLS over UDP (echomux serves no DTLS) or in tally; TLS goes with two-socket, selectors and interactive");
    } catch (const po::error& e) {
        return echomux::tools::usage_error(kProgram, e.what(), help_command);
    }
    try {
        if (o.tls.enabled) o.tls_context = std::make_shared<const echomux::tools::TlsContext>(o.tls);
        return command.run ? command.run(o) : tally(o, t);
    } catch (const std::exception& e) {
        std::cerr << kProgram << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return echomux::tools::usage_error(kProgram, "no command given", kProgram);
    const std::string first = argv[1];
    if (first == "--help" || first == "-h") {
        std::cout << overall_help();
        return 0;
    }
    if (first == "--version") {
        std::cout << echomux::tools::version_line(kProgram);
        return 0;
    }
    for (const Command& c : kCommands)
        if (first == c.name) return run_command(c, argc - 1, argv + 1);
    if (first.rfind("-", 0) == 0)
        return echomux::tools::usage_error(
            kProgram, "the command comes first: two-socket, selectors, interactive, udp or tally", kProgram);
    return echomux::tools::usage_error(kProgram, "unknown command '" + first + "'", kProgram);
}
