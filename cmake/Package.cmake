# `cpack -G DEB` in the build directory: echomux_<version>_<arch>.deb with what
# cmake/Install.cmake, cmake/ManPages.cmake and cmake/BashCompletion.cmake install, under
# /usr (the conf file in /etc/echomux, a conffile), Depends from dpkg-shlibdeps plus adduser,
# and maintainer scripts that make (postinst) and on purge remove (postrm) the system user
# echomux. Build with -DCMAKE_BUILD_TYPE=Release for a package; the binaries are stripped.
set(ECHOMUX_DEB_MAINTAINER "echomux maintainers <maintainers@echomux.invalid>"
    CACHE STRING "Maintainer field of the .deb (the default is a placeholder: .invalid never resolves)")

set(CPACK_PACKAGE_NAME echomux)
set(CPACK_PACKAGE_VENDOR echomux)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "RFC 862 TCP echo server with bounded memory and Prometheus metrics")
# Lines under 80 columns: dpkg shows them as written.
set(CPACK_PACKAGE_DESCRIPTION "echomux answers every TCP client with the bytes it sends, in order and
unchanged (or upper-cased, or after a per-line prefix), also when the client
half-closes, reads slowly or resets. Memory per connection is bounded, idle
connections time out, the number of connections is capped, SIGTERM drains
gracefully, and /metrics serves Prometheus counters. It runs on Boost.Asio or
on native epoll, poll and select loops, with one loop per thread.

Also included: echomux-client (echo checks) and echomux-bench (load generator).")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES TRUE)
# DESTDIR staging, so that install rules see the real prefix /usr (see Install.cmake).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ECHOMUX_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)  # postinst; merged with what dpkg-shlibdeps finds
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# What Debian asks of every package's doc directory: copyright (in the machine-readable
# format, the licence text from LICENSE) and, for a native package, changelog.gz.
file(READ ${PROJECT_SOURCE_DIR}/LICENSE license_text)
string(STRIP "${license_text}" license_text)
string(REGEX REPLACE "\n\n" "\n.\n" license_text "${license_text}")
string(REGEX REPLACE "\n" "\n " license_text "${license_text}")
file(WRITE ${PROJECT_BINARY_DIR}/deb/copyright
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: echomux

Files: *
Copyright: 2026 the echomux authors
License: BSL-1.0
 ${license_text}
")
string(TIMESTAMP ECHOMUX_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)  # honours SOURCE_DATE_EPOCH
configure_file(${PROJECT_SOURCE_DIR}/packaging/deb/changelog.in ${PROJECT_BINARY_DIR}/deb/changelog @ONLY)
find_program(ECHOMUX_GZIP gzip REQUIRED)
execute_process(COMMAND ${ECHOMUX_GZIP} -9 -n -f -k ${PROJECT_BINARY_DIR}/deb/changelog COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${PROJECT_BINARY_DIR}/deb/copyright ${PROJECT_BINARY_DIR}/deb/changelog.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

include(CPack)
