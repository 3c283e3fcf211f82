// SPDX-License-Identifier: BSL-1.0
// Conformance suite: the server's behaviour, over loopback, against the real echomux
// binary. ctest runs it once per backend (ECHOMUX_TEST_BACKEND).
#define BOOST_TEST_MODULE echomux conformance
#include <boost/test/unit_test.hpp>
