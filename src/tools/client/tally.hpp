// SPDX-License-Identifier: BSL-1.0
// `echomux-client tally`: which replica behind one address (a Kubernetes Service, a load
// balancer) answers each of N connections or datagrams, told by what each replica sends of
// its own (its greeting, its prefix), and how evenly they share the load.
#pragma once

#include "client.hpp"

#include <boost/program_options/options_description.hpp>

namespace echomux::client {

struct TallyOptions {
    int count = 20;    // connections (or datagrams) to open
    bool udp = false;  // datagrams, each from a socket (a source port) of its own
};

boost::program_options::options_description tally_options(TallyOptions& t);
// Throws boost::program_options::error on a wrong value.
void check_tally_options(const TallyOptions& t);
int tally(const Options& options, const TallyOptions& t);

}  // namespace echomux::client
