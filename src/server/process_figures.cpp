// SPDX-License-Identifier: BSL-1.0
#include "echomux/server/process_figures.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace echomux {
namespace {

// The process start, taken when the program is loaded: the wall clock may be stepped
// later, but the start stays the moment the process began as the clock then said.
const double kStartTime = [] {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}();

std::uint64_t count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return 0;
    std::uint64_t n = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') ++n;
    ::closedir(dir);
    return n > 0 ? n - 1 : 0;  // not the one opendir holds for this count
}

}  // namespace

ProcessFigures read_process_figures() {
    ProcessFigures figures;
    figures.start_time_seconds = kStartTime;
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) == 0)
        figures.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                              (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    if (std::FILE* statm = std::fopen("/proc/self/statm", "re")) {
        unsigned long long size = 0, resident = 0;
        if (std::fscanf(statm, "%llu %llu", &size, &resident) == 2) {
            const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
            figures.virtual_bytes = size * page;
            figures.resident_bytes = resident * page;
        }
        std::fclose(statm);
    }
    figures.open_fds = count_open_fds();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) figures.max_fds = limit.rlim_cur;
    return figures;
}

}  // namespace echomux
