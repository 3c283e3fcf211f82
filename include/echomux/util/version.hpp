// SPDX-License-Identifier: BSL-1.0
// Which echomux this is: the CMake project version and the source revision (git describe
// at build time, "unknown" outside a git checkout). Defined in the one file that includes
// the generated header, so a new revision recompiles that file alone.
#pragma once

namespace echomux {

const char* version();   // "0.1.0"
const char* revision();  // "4d1da88", "v0.1.0-3-g4d1da88-dirty" or "unknown"

}  // namespace echomux
