// SPDX-License-Identifier: BSL-1.0
// Liveness against the real binary, once per backend: each event loop's heartbeat seen
// through /livez, /healthz, --healthcheck=live and echomux_loop_busy_seconds_total.
#define BOOST_TEST_MODULE echomux liveness
#include <boost/test/unit_test.hpp>
