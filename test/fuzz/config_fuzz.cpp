// SPDX-License-Identifier: BSL-1.0
// The conf file parser and validator, through load_config as the server calls it: the input
// is a whole conf file (keys, values, units, comments, CR LF, a BOM, anything). It must not
// crash, and a refusal must be a ConfigError. A file it accepts must also survive the
// round trip --print-config promises: its output, read back as a conf file, gives the same
// settings.
#include "echomux/server/config.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

using namespace echomux;

namespace {

// One in-memory file for the whole run, read by path as a conf file is.
struct ConfFile {
    ConfFile() : fd(::memfd_create("echomux-fuzz.conf", MFD_CLOEXEC)) {
        if (fd < 0) std::abort();
        path = "/proc/self/fd/" + std::to_string(fd);
    }
    void write(const std::string& text) {
        if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
            std::abort();
    }
    int fd;
    std::string path;
};

ConfFile& conf_file() {
    static ConfFile file;
    return file;
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "config fuzz: %s\n", what.c_str());
    std::abort();
}

// nullptr for a ConfigError; anything else thrown is a failure.
std::unique_ptr<LoadedConfig> load(const std::string& text, bool print) {
    conf_file().write(text);
    const char* argv[] = {"echomux", "--config", conf_file().path.c_str(), "--print-config"};
    const char* envp[] = {nullptr};  // the file alone decides
    try {
        return std::make_unique<LoadedConfig>(load_config(print ? 4 : 3, argv, envp));
    } catch (const ConfigError& e) {
        if (std::string(e.what()).empty()) fail("a ConfigError with no message");
        return nullptr;
    } catch (const std::exception& e) {
        fail(std::string("refused with something other than a ConfigError: ") + e.what());
    } catch (...) {
        fail("refused with something that is not even a std::exception");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 64 * 1024) return 0;  // the parser reads up to 1 MiB; more says nothing new
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto first = load(text, true);
    if (!first) return 0;
    if (first->action != LoadedConfig::Action::print_config) fail("--print-config did not print");
    const auto again = load(first->text, false);
    if (!again) fail("--print-config's output is refused as a conf file:\n" + first->text);
    if (again->values != first->values) fail("--print-config's output reads back to other settings:\n" + first->text);
    return 0;
}
