// One client connection's protocol state, shared by every backend: read, transform,
// write, bounded buffering with backpressure, half-close flush. A backend only reports
// readiness (on_read / on_write, like the selectors echo server's callbacks) and keeps
// its registration in line with interest().
#pragma once

#include "echomux/buffer.hpp"

#include <list>

namespace echomux {

class Service;

struct Interest {
    bool read = false;
    bool write = false;
    bool operator==(const Interest& o) const { return read == o.read && write == o.write; }
    bool operator!=(const Interest& o) const { return !(*this == o); }
};

class Connection {
public:
    // What the backend does after a callback.
    enum class Next {
        wait,   // watch for interest() and wait
        again,  // bytes may be readable with no new readiness event coming (a fairness
                // budget ran out, or reading resumed after backpressure): call on_read soon
        close,  // finished: call close()
    };

    Connection(Service& service, int fd);
    virtual ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    int fd() const { return fd_; }

    // `drain`: keep reading until the socket would block (edge-triggered readiness);
    // otherwise one read per call, as level-triggered readiness reports again.
    Next on_read(bool drain);
    Next on_write();

    // What to watch for: read while the peer may still send and there is room; write
    // only while bytes wait (the selectors client/server switch).
    Interest interest() const { return {!eof_ && !pending_.full(), !pending_.empty()}; }

    // Ends the connection now (idle timeout, drain deadline, or after Next::close).
    // Idempotent. After it, the backend may already have destroyed this object.
    void close();

protected:
    bool closed() const { return closed_; }

    // Backend part of close(): stop watching the fd and release it.
    virtual void release() = 0;

private:
    friend class Service;

    long send_some(const char* bytes, std::size_t n);  // bytes sent, 0 if it would block, -1 on error
    bool send_pending();                               // false on a socket error
    Next finish_callback();
    Next fail(int error);

    Service& service_;
    const int fd_;
    Buffer pending_;               // transformed bytes the peer has not taken yet
    bool eof_ = false;  // peer shut down its write side
    bool closed_ = false;
    std::list<Connection*>::iterator idle_position_;  // in Service's least-recently-active list
    long long last_active_ms_ = 0;
};

}  // namespace echomux
