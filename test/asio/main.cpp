// SPDX-License-Identifier: BSL-1.0
// What only the Asio backend does: lend read buffers to receiving connections and take
// them back from idle ones. ctest runs it against the real binary with backend = asio.
#define BOOST_TEST_MODULE echomux asio backend
#include <boost/test/unit_test.hpp>
