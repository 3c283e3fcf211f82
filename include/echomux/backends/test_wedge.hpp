// SPDX-License-Identifier: BSL-1.0
// TEST ONLY: a loop that hangs on purpose, so the tests can see /livez and the systemd
// watchdog notice one (test/server/liveness_test.cpp). ECHOMUX_TEST_WEDGE_LOOP=SECONDS in
// the server's environment makes the first loop to take a connection block for that long,
// once, inside its callback: exactly what a handler stuck in a blocking call looks like.
// Unset (always, outside the tests), it is one relaxed load per accepted connection. The
// shipped binary keeps it because the tests run that binary, not a build of their own; a
// warning says so when it is set.
#pragma once

namespace echomux {

inline constexpr const char* kTestWedgeVariable = "ECHOMUX_TEST_WEDGE_LOOP";

// Called by each loop as it takes a connection into service (its adopt()).
void wedge_if_testing();

}  // namespace echomux
