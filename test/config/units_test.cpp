// SPDX-License-Identifier: BSL-1.0
// Sizes and durations as the README's "Units" paragraph and conf/echomux.conf say: KB/MB/GB
// are powers of 1000 and K/KiB, M/MiB, G/GiB powers of 1024; durations take ms, s, m, h, d.
// Each unit is pinned by a key's range: a value just inside it passes, just outside fails.
// Also the short flags and the shipped conf files, which must start without a warning.
#include "config_run.hpp"

#include <boost/test/unit_test.hpp>

using namespace echomux::test;

namespace {
bool accepted(const std::string& flag) {
    const Run r = run({flag, "--print-config"});
    BOOST_TEST((r.status == 0 || is_config_error(r)), flag << ": " << r.err);
    return r.status == 0;
}
}  // namespace

// read_chunk_bytes goes up to 64 MiB = 67,108,864 bytes.
BOOST_AUTO_TEST_CASE(sizes_take_decimal_and_binary_suffixes) {
    for (const std::string ok : {"67108864", "67108864B", "67MB", "67000KB", "64MiB", "64M", "65536KiB", "65536K"})
        BOOST_TEST(accepted("--read-chunk-bytes=" + ok), ok);
    for (const std::string over : {"67108865", "68MB", "65MiB", "65M", "1GB", "1G", "1GiB"})
        BOOST_TEST(!accepted("--read-chunk-bytes=" + over), over);
    for (const std::string bad : {"10mb", "10Mb", "10MIB", "1.5MB", "10 MB", "10KiBs", "10TB"})
        BOOST_TEST(!accepted("--read-chunk-bytes=" + bad), bad);
    // With mode = prefix max_buffer_bytes must hold 4096 bytes: 4KB (4000) does not, 4KiB does.
    const Run decimal = run({"--mode=prefix", "--prefix=x", "--max-buffer-bytes=4KB", "--print-config"});
    BOOST_TEST(is_config_error(decimal), decimal.err);
    BOOST_TEST(contains(decimal.err, "max_buffer_bytes = '4KB': must be at least 4KiB"), decimal.err);
    const Run binary = run({"--mode=prefix", "--prefix=x", "--max-buffer-bytes=4KiB", "--print-config"});
    BOOST_TEST(binary.status == 0, binary.err);
}

// shutdown_delay goes up to 3600 s, drain_timeout to 86400 s.
BOOST_AUTO_TEST_CASE(durations_take_ms_s_m_h_and_d) {
    for (const std::string ok : {"3600", "3600s", "60m", "1h", "0.5h", "3600000ms"})
        BOOST_TEST(accepted("--shutdown-delay=" + ok), ok);
    for (const std::string over : {"3601", "61m", "1.01h", "2h", "1d"})
        BOOST_TEST(!accepted("--shutdown-delay=" + over), over);
    BOOST_TEST(accepted("--drain-timeout=1d"));
    BOOST_TEST(accepted("--drain-timeout=24h"));
    BOOST_TEST(!accepted("--drain-timeout=1.01d"));
    BOOST_TEST(!accepted("--drain-timeout=25h"));
}

BOOST_AUTO_TEST_CASE(p_is_port_and_c_is_config) {
    const auto conf = write_conf("mode = upper\n");
    for (const std::vector<std::string>& args : {std::vector<std::string>{"-p", "7100", "-c", conf},
                                                std::vector<std::string>{"-p7100", "-c" + conf}}) {
        std::vector<std::string> with = args;
        with.push_back("--print-config");
        const Run r = run(with);
        BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
        BOOST_TEST(contains(r.out, "\nport = 7100 "), r.out);
        BOOST_TEST(contains(r.out, "\nmode = upper "), r.out);
    }
    const Run help = run({"--help"});
    BOOST_TEST(contains(help.out, "-p [ --port ] N"), help.out);
    BOOST_TEST(contains(help.out, "-c [ --config ] FILE"), help.out);
    BOOST_TEST(contains(help.out, "-t [ --check-config ]"), help.out);
}

// A warning on every start of the shipped conf teaches operators to ignore warnings.
BOOST_AUTO_TEST_CASE(the_shipped_conf_files_start_without_a_warning) {
    for (const std::string conf :
         {ECHOMUX_SOURCE_DIR "/conf/echomux.conf", ECHOMUX_SOURCE_DIR "/deploy/kubernetes/base/echomux.conf"}) {
        const Run r = run({"--config", conf, "--print-config"}, {{"POD_NAME", "echomux-0"}});
        BOOST_TEST(r.status == 0, conf << ": " << r.err);
        BOOST_TEST(r.err.empty(), conf << ": " << r.err);
        const Run check = run({"--check-config", "--config", conf});
        BOOST_TEST(check.status == 0, conf << ": " << check.err);
        BOOST_TEST(check.err.empty(), conf << ": " << check.err);
    }
}

// What --help and the man page's NAME line say echomux is.
BOOST_AUTO_TEST_CASE(help_names_udp_proxy_protocol_and_io_uring) {
    const Run help = run({"--help"});
    for (const std::string word : {"TCP and UDP", "PROXY protocol", "io_uring"})
        BOOST_TEST(contains(help.out.substr(0, help.out.find("\n\n")), word), word << " in:\n" << help.out);
}
