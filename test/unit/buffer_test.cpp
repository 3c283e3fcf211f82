// SPDX-License-Identifier: BSL-1.0
#include "echomux/core/buffer.hpp"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>

using echomux::Buffer;

BOOST_AUTO_TEST_SUITE(buffer)

BOOST_AUTO_TEST_CASE(holds_bytes_in_order_up_to_its_limit) {
    Buffer b(10);
    BOOST_TEST(b.empty());
    BOOST_TEST(b.space() == 10u);
    b.append("abcdef", 6);
    BOOST_TEST(b.size() == 6u);
    BOOST_TEST(!b.full());
    b.append("ghij", 4);
    BOOST_TEST(b.full());
    BOOST_TEST(b.space() == 0u);
    BOOST_TEST(std::string(b.data(), b.size()) == "abcdefghij");
}

BOOST_AUTO_TEST_CASE(consumed_space_is_reused_without_growing_past_the_limit) {
    Buffer b(8);
    b.append("12345678", 8);
    b.consume(5);
    BOOST_TEST(std::string(b.data(), b.size()) == "678");
    char* room = b.prepare(5);  // needs the consumed front: bytes slide down
    std::memcpy(room, "abcde", 5);
    b.commit(5);
    BOOST_TEST(b.full());
    BOOST_TEST(std::string(b.data(), b.size()) == "678abcde");
}

BOOST_AUTO_TEST_CASE(emptying_resets_to_the_front) {
    Buffer b(4);
    b.append("ab", 2);
    b.consume(2);
    BOOST_TEST(b.empty());
    b.append("wxyz", 4);
    BOOST_TEST(std::string(b.data(), b.size()) == "wxyz");
}

BOOST_AUTO_TEST_CASE(storage_is_allocated_only_while_bytes_wait) {
    Buffer b(1 << 20);
    BOOST_TEST(b.capacity() == 0u);
    const std::string block(300 * 1024, 'x');
    b.append(block.data(), block.size());
    BOOST_TEST(b.capacity() >= block.size());
    b.consume(block.size() - 1);
    BOOST_TEST(b.capacity() >= block.size());  // one byte still waits
    b.consume(1);
    BOOST_TEST(b.capacity() == 0u);  // given back, not kept for the connection's life
}

// A greeting that went out whole leaves nothing to queue (UBSan: memcpy to a null store).
BOOST_AUTO_TEST_CASE(appending_nothing_to_an_empty_buffer_changes_nothing) {
    Buffer b(16);
    b.append("", 0);
    BOOST_TEST(b.empty());
    BOOST_TEST(b.capacity() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
