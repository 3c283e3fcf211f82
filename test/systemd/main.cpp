// systemd integration without a running systemd: socket activation (LISTEN_FDS, through
// systemd-socket-activate and through sockets the test holds itself) and Type=notify
// (a NOTIFY_SOCKET the test reads). The unit files have their own check (unit_files_test.sh).
#define BOOST_TEST_MODULE echomux systemd
#include <boost/test/unit_test.hpp>
