// SPDX-License-Identifier: BSL-1.0
// The fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput once over every file of
// the directories (and files) named on the command line, so the g++ and ASan builds replay
// the committed corpus and regressions as an ordinary test. A failure is an abort, as under
// libFuzzer; the file being run is printed first so the log names the reproducer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

namespace {
int run(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(), bytes.size());
    // A copy of exactly the file's size: a read past its end is a heap overflow ASan sees.
    std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg = argv[i];
        if (!fs::is_directory(arg)) {
            if (run(arg) != 0) return 1;
            ++count;
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(arg))
            if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            if (run(f) != 0) return 1;
            ++count;
        }
    }
    std::printf("%zu inputs ran, none failed\n", count);
    return count > 0 ? 0 : 1;  // an empty corpus tests nothing: a wrong path, most likely
}
