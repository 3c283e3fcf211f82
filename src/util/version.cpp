// SPDX-License-Identifier: BSL-1.0
#include "echomux/util/version.hpp"

#include "echomux/version_info.hpp"  // generated into the build directory

namespace echomux {

const char* version() { return ECHOMUX_VERSION; }
const char* revision() { return ECHOMUX_REVISION; }

}  // namespace echomux
