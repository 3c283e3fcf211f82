// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/echo_protocol.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace echomux;

BOOST_AUTO_TEST_SUITE(echo_protocol)

BOOST_AUTO_TEST_CASE(echo_mode_changes_nothing) {
    std::string all;
    for (int v = 0; v < 256; ++v) all += static_cast<char>(v);
    std::string copy = all;
    apply_mode(Mode::echo, copy.data(), copy.size());
    BOOST_TEST(copy == all);
}

BOOST_AUTO_TEST_CASE(upper_mode_maps_only_ascii_lowercase) {
    std::string all;
    for (int v = 0; v < 256; ++v) all += static_cast<char>(v);
    std::string copy = all;
    apply_mode(Mode::upper, copy.data(), copy.size());
    for (int v = 0; v < 256; ++v) {
        const int expected = (v >= 'a' && v <= 'z') ? v - 32 : v;
        BOOST_TEST(static_cast<unsigned char>(copy[v]) == expected);
    }
}

BOOST_AUTO_TEST_CASE(mode_names_round_trip) {
    BOOST_TEST((parse_mode("echo") == Mode::echo));
    BOOST_TEST((parse_mode("upper") == Mode::upper));
    BOOST_TEST(!parse_mode("UPPER"));
    BOOST_TEST(std::string(mode_name(Mode::upper)) == "upper");
}

BOOST_AUTO_TEST_SUITE_END()
