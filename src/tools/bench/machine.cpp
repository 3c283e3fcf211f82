// SPDX-License-Identifier: BSL-1.0
#include "machine.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

namespace echomux::bench {

Machine this_machine() {
    Machine m;
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) m.host_name = name;
    utsname u{};
    if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release;
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
            const auto start = line.find_first_not_of(" \t", line.find(':') + 1);
            if (start != std::string::npos) m.cpu_model = line.substr(start);
            break;
        }
    m.cpus = std::thread::hardware_concurrency();
    return m;
}

std::string utc_timestamp() {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

}  // namespace echomux::bench
