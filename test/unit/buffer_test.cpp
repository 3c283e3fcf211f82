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

BOOST_AUTO_TEST_CASE(large_storage_is_given_back_when_the_buffer_empties) {
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

// A connection that queues every message (prefix mode) keeps one small store rather than
// allocating and freeing it once per message.
BOOST_AUTO_TEST_CASE(small_storage_is_kept_when_the_buffer_empties) {
    Buffer b(1 << 20);
    const std::string message(64, 'm');
    std::size_t emptied_without_storage = 0;
    for (int i = 0; i < 1000; ++i) {
        b.append(message.data(), message.size());
        b.consume(message.size());
        emptied_without_storage += b.capacity() == 0;
    }
    BOOST_TEST(emptied_without_storage == 0u);
    BOOST_TEST(b.capacity() == message.size());  // the first allocation, never grown
}

BOOST_AUTO_TEST_CASE(storage_up_to_the_kept_size_is_kept_and_beyond_it_given_back) {
    const std::string kept(Buffer::kKeptWhenEmpty, 'k'), more(Buffer::kKeptWhenEmpty + 1, 'm');
    Buffer b(1 << 20);
    b.append(kept.data(), kept.size());
    b.consume(kept.size());
    BOOST_TEST(b.capacity() == Buffer::kKeptWhenEmpty);
    b.append(more.data(), more.size());
    b.consume(more.size());
    BOOST_TEST(b.capacity() == 0u);
}

// A greeting that went out whole leaves nothing to queue (UBSan: memcpy to a null store).
BOOST_AUTO_TEST_CASE(appending_nothing_to_an_empty_buffer_changes_nothing) {
    Buffer b(16);
    b.append("", 0);
    BOOST_TEST(b.empty());
    BOOST_TEST(b.capacity() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
