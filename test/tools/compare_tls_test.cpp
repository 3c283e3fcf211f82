// SPDX-License-Identifier: BSL-1.0
// echomux-bench compare --tls: TLS cells on the servers that speak TLS (each echomux backend's
// TLS listener and the TLS anchor), every byte verified as in the plaintext cells, with
// certificates made for the run; a TLS cell against a server that does not speak TLS has no figure.
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "bench_fixtures.hpp"

#include "tools/bench/compare_plan.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

using namespace echomux::bench;
using namespace echomux::test;
namespace json = boost::json;

namespace {

const std::string kCertsScript = std::string(ECHOMUX_SOURCE_DIR) + "/scripts/tls-certs.sh";

// The one backend, the plaintext anchor and the TLS anchor, through a small matrix.
std::vector<std::string> small_tls_compare(const std::string& out) {
    return {"compare", "--quick", "--tls", "--out", out, "--backends", "epoll-level", "--idle-sweep", "0",
            "--rate-sweep", "0.5", "--tls-certs-script", kCertsScript};
}

const json::object* cell_of(const json::value& doc, const std::string& server, const std::string& cell) {
    for (const auto& c : doc.at("cells").as_array())
        if (c.at("server").as_string() == server && c.at("cell").as_string() == cell) return &c.as_object();
    return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tls_cells_are_planned_only_with_tls_and_run_only_where_tls_is_served) {
    CompareOptions o;
    o.out_dir = "/tmp/out";
    const auto tls_cells = [](const Plan& plan) {
        return std::count_if(plan.cells.begin(), plan.cells.end(), [](const Cell& c) { return c.workload.tls.enabled; });
    };
    BOOST_TEST(tls_cells(make_plan(o, 1L << 20, 1L << 20)) == 0);
    o.tls = true;
    const Plan plan = make_plan(o, 1L << 20, 1L << 20);
    BOOST_TEST(tls_cells(plan) == 3);
    const auto handshake = std::find_if(plan.cells.begin(), plan.cells.end(),
                                        [](const Cell& c) { return c.id == kTlsHandshakeCell; });
    BOOST_REQUIRE(handshake != plan.cells.end());
    BOOST_TEST(handshake->workload.handshake);
    BOOST_TEST(handshake->workload.tls.ca_file == "/tmp/out/tls/ca.pem");

    const ServerSpec backend = echomux_server("echomux", "epoll-level", "/tmp/out/tls");
    const ServerSpec plaintext_only = echomux_server("echomux", "epoll-level");
    const ServerSpec anchor = tls_anchor_server("anchor", "/tmp/out/tls");
    BOOST_TEST((std::find(backend.argv.begin(), backend.argv.end(), "--tls-port={tls_port}") != backend.argv.end()));
    for (const Cell& c : plan.cells) {
        BOOST_TEST(serves(backend, c), c.id);
        BOOST_TEST(serves(plaintext_only, c) == !c.workload.tls.enabled, c.id);
        BOOST_TEST(serves(anchor, c) == c.workload.tls.enabled, c.id);
    }
}

// End to end: the TLS cells have figures for the backend and the anchor, every run agreed on
// TLS 1.3 and got back every byte it sent; the plaintext anchor runs no TLS cell, the TLS
// anchor no plaintext one; the report holds the TLS targets; results.json validates.
BOOST_AUTO_TEST_CASE(compare_tls_runs_tls_cells_against_backend_and_anchor_with_every_byte_back) {
    TempDir dir;
    const Run r = bench(small_tls_compare(dir.path()), 180s);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(schema_verdict(dir.path() + "/results.json") == "valid");
    const json::value doc = json::parse(read_file(dir.path() + "/results.json"));
    for (const char* server : {"epoll-level", kTlsAnchor})
        for (const char* cell : {kTlsPingPongCell, kTlsStreamCell, kTlsHandshakeCell}) {
            const json::object* c = cell_of(doc, server, cell);
            BOOST_REQUIRE_MESSAGE(c, server << " " << cell);
            BOOST_TEST(c->at("error").is_null(), server << " " << cell);
            BOOST_TEST(c->at("workload").at("tls").as_bool());
            BOOST_TEST(c->at("workload").at("handshake").as_bool() == (std::string(cell) == kTlsHandshakeCell));
            for (const auto& run : c->at("runs").as_array()) {
                BOOST_TEST(run.at("tls").as_string().subview().substr(0, 7) == "TLSv1.3", server << " " << cell);
                BOOST_TEST(run.at("errors").as_int64() == 0);
                const auto& whole = run.at("whole_run");
                BOOST_TEST(whole.at("sent_bytes").as_int64() > 0);
                BOOST_TEST(whole.at("received_bytes") == whole.at("sent_bytes"), server << " " << cell);
            }
        }
    BOOST_TEST(!cell_of(doc, "reference-c-epoll", kTlsPingPongCell));
    BOOST_TEST(!cell_of(doc, kTlsAnchor, kSaturationCell));
    BOOST_TEST(cell_of(doc, "epoll-level", kSaturationCell)->at("runs").as_array()[0].at("tls").is_null());
    const std::string md = read_file(dir.path() + "/report.md");
    BOOST_TEST(contains(md, "## TLS handshakes: a new connection, a full handshake, one 64 B echo, closed; 8 at once"), md);
    BOOST_TEST(contains(md, "- epoll-level: server CPU per handshake is "), md);
    BOOST_TEST(contains(md, "the TLS anchor's"), md);
}

// A "TLS anchor" that answers in plaintext: its TLS cells have no figure, named, and exit 1.
BOOST_AUTO_TEST_CASE(a_tls_cell_against_a_server_that_does_not_speak_tls_has_no_figure) {
    TempDir dir;
    const std::string fake = dir.path() + "/plaintext-anchor";
    std::ofstream(fake) << "#!/bin/sh\nexec " << tool_binary("echomux-reference-server") << " \"$1\"\n";
    BOOST_REQUIRE(::chmod(fake.c_str(), 0755) == 0);
    auto args = small_tls_compare(dir.path() + "/out");
    args.insert(args.end(), {"--tls-reference", fake});
    const Run r = bench(args, 180s);
    BOOST_TEST(r.status == 1, r.err);
    BOOST_TEST(contains(r.err, std::string(kTlsAnchor) + " " + kTlsPingPongCell + ": no figure"), r.err);
    const json::value doc = json::parse(read_file(dir.path() + "/out/results.json"));
    BOOST_TEST(cell_of(doc, "epoll-level", kTlsPingPongCell)->at("error").is_null());
    BOOST_TEST(!cell_of(doc, kTlsAnchor, kTlsPingPongCell)->at("error").is_null());
}
