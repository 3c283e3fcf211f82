// SPDX-License-Identifier: BSL-1.0
// The --tls options echomux-client and echomux-bench share, and their checks.
#pragma once

#include <boost/program_options.hpp>

#include <string>

namespace echomux::tools {

struct TlsOptions {
    bool enabled = false;     // --tls
    std::string ca_file;      // verify the server against it; empty: the system's CAs
    std::string server_name;  // SNI and the name checked; empty: --host
    std::string cert_file, key_file;  // a client certificate (key empty: in the cert's file)
    bool insecure = false;    // no verification of the server at all
    int max_version = 0;      // TLS1_2_VERSION or TLS1_3_VERSION; 0: the highest (1.3)
};

void add_tls_options(boost::program_options::options_description& desc, TlsOptions& tls, std::string& max_version);

// Fills what parsing left as text, and refuses what does not go together (a --tls-* option
// without --tls, --tls-key without --tls-cert, --tls-insecure with --tls-ca); throws
// boost::program_options::error.
void check_tls_options(const boost::program_options::variables_map& vm, TlsOptions& tls, const std::string& max_version);

}  // namespace echomux::tools
