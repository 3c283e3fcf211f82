// SPDX-License-Identifier: BSL-1.0
// The metrics/health endpoint against hostile HTTP clients. It has its own thread and
// io_context whatever the echo backend, so ctest runs this once, on the default backend.
#define BOOST_TEST_MODULE echomux metrics endpoint
#include <boost/test/unit_test.hpp>
