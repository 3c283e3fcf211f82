// SPDX-License-Identifier: BSL-1.0
#include "compare_process_tree.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace echomux::bench {
namespace {

struct Stat {
    pid_t ppid = 0;
    double own = 0, reaped = 0;  // seconds: utime + stime, cutime + cstime
};

// The run time of all of a process's threads, from /proc/PID/task/*/schedstat; -1 if unreadable.
double schedstat_seconds(pid_t pid) {
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(tasks.c_str()), ::closedir);
    if (!dir) return -1;
    unsigned long long total = 0;
    while (const dirent* e = ::readdir(dir.get())) {
        if (e->d_name[0] == '.') continue;
        std::ifstream in(tasks + "/" + e->d_name + "/schedstat");
        unsigned long long ns = 0;
        if (in >> ns) total += ns;
    }
    return static_cast<double>(total) / 1e9;
}

// /proc/PID/stat; the command name may hold spaces and parentheses, so fields count from
// the last ')'.
bool read_stat(pid_t pid, Stat& s) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) return false;
    const auto close = text.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    long long ppid = 0, skip = 0, utime = 0, stime = 0, cutime = 0, cstime = 0;
    fields >> state >> ppid;
    for (int i = 5; i <= 13; ++i) fields >> skip;  // pgrp .. cmajflt
    if (!(fields >> utime >> stime >> cutime >> cstime)) return false;
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    s.ppid = static_cast<pid_t>(ppid);
    s.own = static_cast<double>(utime + stime) / tick;
    s.reaped = static_cast<double>(cutime + cstime) / tick;
    // A child that serves one connection may run for less than a tick in all: stat would say
    // 0. Its threads' schedstat says it in nanoseconds. Reaped children's time (cutime) is
    // summed in the kernel before it is rounded to ticks, so it needs no such care.
    if (const double precise = schedstat_seconds(pid); precise >= 0) s.own = precise;
    return true;
}

}  // namespace

TreeCpu process_tree_cpu(pid_t root) {
    TreeCpu tree;
    std::map<pid_t, Stat> all;
    std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
    if (!proc) return tree;
    // Bounded by the machine's process count.
    while (const dirent* e = ::readdir(proc.get())) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        Stat s;
        if (*end == '\0' && pid > 0 && read_stat(static_cast<pid_t>(pid), s)) all[static_cast<pid_t>(pid)] = s;
    }
    const auto at = all.find(root);
    if (at == all.end()) return tree;
    std::map<pid_t, std::vector<pid_t>> children;
    for (const auto& [pid, s] : all) children[s.ppid].push_back(pid);
    std::vector<pid_t> todo = {root};
    tree.seconds = 0;
    for (std::size_t i = 0; i < todo.size() && i < all.size(); ++i) {
        const Stat& s = all[todo[i]];
        tree.seconds += s.own + s.reaped;
        tree.descendants += todo[i] == root ? s.reaped : s.own + s.reaped;
        ++tree.processes;
        for (pid_t child : children[todo[i]]) todo.push_back(child);
    }
    return tree;
}

}  // namespace echomux::bench
