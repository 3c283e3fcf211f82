#define BOOST_TEST_MODULE echomux unit
#include <boost/test/unit_test.hpp>
