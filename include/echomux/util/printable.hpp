// SPDX-License-Identifier: BSL-1.0
// Operator or peer bytes as a message may show them: the config loader's errors, the tools'
// wrong-echo reports.
#pragma once

#include <string>

namespace echomux {

// Bytes outside printable ASCII as \xHH, so a control byte or terminal escape sequence is
// seen, not acted on, and the message stays one line.
std::string printable(const std::string& text);

}  // namespace echomux
