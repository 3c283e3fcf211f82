// SPDX-License-Identifier: BSL-1.0
#include "tools/tls_options.hpp"

#include <openssl/ssl.h>

namespace echomux::tools {

namespace po = boost::program_options;

void add_tls_options(po::options_description& desc, TlsOptions& tls, std::string& max_version) {
    desc.add_options()("tls", po::bool_switch(&tls.enabled), "speak TLS (OpenSSL; TCP only: there is no DTLS)")(
        "tls-ca", po::value(&tls.ca_file), "TLS: verify the server's certificate against this CA file (PEM) "
                                           "[default: the system's CAs]")(
        "tls-sni", po::value(&tls.server_name), "TLS: the server name sent (SNI) and checked [default: --host]")(
        "tls-cert", po::value(&tls.cert_file), "TLS: a client certificate (PEM, a chain file works)")(
        "tls-key", po::value(&tls.key_file), "TLS: the client certificate's key (PEM) [default: in --tls-cert's file]")(
        "tls-insecure", po::bool_switch(&tls.insecure), "TLS: do not verify the server's certificate at all")(
        "tls-max-version", po::value(&max_version)->default_value("1.3"), "TLS: the newest version offered: 1.2 or 1.3");
}

void check_tls_options(const po::variables_map& vm, TlsOptions& tls, const std::string& max_version) {
    if (!tls.enabled) {
        for (const char* name : {"tls-ca", "tls-sni", "tls-cert", "tls-key", "tls-max-version"})
            if (vm.count(name) && !vm[name].defaulted()) throw po::error(std::string("--") + name + " goes with --tls");
        if (tls.insecure) throw po::error("--tls-insecure goes with --tls");
        return;
    }
    if (max_version == "1.2") tls.max_version = TLS1_2_VERSION;
    else if (max_version == "1.3") tls.max_version = TLS1_3_VERSION;
    else throw po::error("--tls-max-version must be 1.2 or 1.3");
    if (!tls.key_file.empty() && tls.cert_file.empty()) throw po::error("--tls-key goes with --tls-cert");
    if (tls.insecure && !tls.ca_file.empty()) throw po::error("--tls-insecure and --tls-ca: give one");
}

}  // namespace echomux::tools
