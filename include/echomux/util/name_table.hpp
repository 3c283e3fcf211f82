// SPDX-License-Identifier: BSL-1.0
// The names of an enum's values, written once: a table of {name, value} rows that parsing,
// printing, --help and "must be one of: ..." messages all read, so a name cannot be
// accepted in one place and printed differently in another.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace echomux {

template <class T>
struct Named {
    const char* name;
    T value;
};

// A view of a static array of Named<T> rows.
template <class T>
class NameTable {
public:
    template <std::size_t N>
    constexpr NameTable(const Named<T> (&rows)[N]) : rows_(rows), size_(N) {}

    const Named<T>* begin() const { return rows_; }
    const Named<T>* end() const { return rows_ + size_; }

    std::optional<T> parse(std::string_view name) const {
        for (const auto& row : *this)
            if (name == row.name) return row.value;
        return std::nullopt;
    }
    // The first row's name for `value`; "?" for a value the table lacks.
    const char* name(const T& value) const {
        for (const auto& row : *this)
            if (row.value == value) return row.name;
        return "?";
    }
    // "a, b, c": the choices, as messages and help list them.
    std::string joined() const {
        std::string out;
        for (const auto& row : *this) out += (out.empty() ? "" : ", ") + std::string(row.name);
        return out;
    }

private:
    const Named<T>* rows_;
    std::size_t size_;
};

}  // namespace echomux
