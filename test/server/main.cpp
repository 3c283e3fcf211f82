// SPDX-License-Identifier: BSL-1.0
// The process shell: the supervisor with fake loops and scripted signals, the descriptor
// budget's arithmetic, and a real echomux whose loop fails.
#define BOOST_TEST_MODULE echomux server shell
#include <boost/test/unit_test.hpp>
