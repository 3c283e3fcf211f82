// SPDX-License-Identifier: BSL-1.0
// A selectors-style readiness interface over raw OS mechanisms, after CPython's
// Lib/selectors.py: register(fd, events, data), modify, unregister, select(timeout) ->
// ready (key, events). The key's data is the callback, as in the classic selectors echo
// server. One subclass per mechanism, one file each.
#pragma once

#include <cstddef>
#include <vector>

namespace echomux::native {

enum : unsigned {
    EVENT_READ = 1u,
    EVENT_WRITE = 2u,
    // Reported with EVENT_READ, never registered, for an edge-triggered reader that stops
    // at a short read: read on until the socket would block. The peer hung up (or the
    // socket failed): the EOF comes after the data, with no edge of its own...
    EVENT_HANGUP = 4u,
    // ...or urgent data came: a read stops short at its mark with more bytes behind it.
    EVENT_URGENT = 8u,
};

// The callback a key carries: called with the events that are ready.
class Handler {
public:
    virtual void on_events(unsigned events) = 0;

protected:
    ~Handler() = default;
};

struct SelectorKey {
    int fd = -1;
    unsigned events = 0;
    Handler* data = nullptr;
};

struct Ready {
    SelectorKey key;  // a copy: the registration may change while earlier keys are served
    unsigned events;  // what is ready, a subset of key.events
};

class Selector {
public:
    virtual ~Selector() = default;

    // `register` is a C++ keyword, hence register_fd. Errors are std::invalid_argument:
    // registering a registered fd, modifying or unregistering an unknown one, no events.
    void register_fd(int fd, unsigned events, Handler* data);
    void modify(int fd, unsigned events, Handler* data);
    void unregister(int fd);
    const SelectorKey* get_key(int fd) const;
    std::size_t size() const { return registered_; }

    // Waits up to timeout_ms (-1: no limit) and returns the ready keys. Errors and hang-ups
    // are reported as whichever of read/write the key asked for, so the callback's own
    // recv/send finds out what happened (and reads whatever data is still there first).
    const std::vector<Ready>& select(int timeout_ms);

    virtual const char* name() const = 0;
    // Edge-triggered: readiness is reported once per change, not while it lasts, so a
    // callback must read until the socket would block or remember to come back.
    virtual bool edge_triggered() const { return false; }

protected:
    virtual void add(int fd, unsigned events) = 0;
    virtual void change(int fd, unsigned events) = 0;
    virtual void remove(int fd) = 0;
    // Appends {key, events} for ready fds (events not yet masked by the key's), through report().
    virtual void wait(int timeout_ms, std::vector<Ready>& ready) = 0;

    // Appends fd's key with events, or nothing where fd has no key, as selectors.py's
    // _key_from_fd returns None: the kernel may still report an fd that is no longer ours
    // (epoll keeps a registration while a dup of a closed fd lives), and that is a skipped
    // event, never a null key.
    void report(std::vector<Ready>& ready, int fd, unsigned events) const;

private:
    std::vector<SelectorKey> keys_;  // indexed by fd; fd == -1 where none
    std::size_t registered_ = 0;
    std::vector<Ready> ready_;
};

}  // namespace echomux::native
