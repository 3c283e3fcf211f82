// SPDX-License-Identifier: BSL-1.0
// What the bench report tests share: running echomux-bench, the JSON schema check, and
// results built to stand for what the load engine measures.
#pragma once

#include "support/process.hpp"

#include "tools/bench/load.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace echomux::test {

bool contains(const std::string& text, const std::string& part);
std::string read_file(const std::string& path);
Run run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::seconds(60));
Run bench(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(60));
// The document in `path` against the schema kept in the repository, by python3-jsonschema
// (scripts/install-deps.sh --test installs it): "valid" or the validator's complaint.
std::string schema_verdict(const std::string& path);
std::string schema_verdict_of_text(const std::string& document);
bench::Workload pingpong();
// A valid closed-loop run: 2 s, 200,000 requests of 64 B, latencies 100..299 us.
bench::Result measured();
bench::Result stalled();  // an invalid run: the server stopped answering
// "-1", "-0.5" as a word of their own (not the "-1" of "pingpong-64B-1c" or a date).
bool has_negative_number(const std::string& text);

}  // namespace echomux::test
