# SPDX-License-Identifier: BSL-1.0
# `cpack -G DEB` in the build directory: echomux_<version>_<arch>.deb with what
# cmake/Install.cmake, cmake/ManPages.cmake and cmake/BashCompletion.cmake install, under
# /usr (the conf file in /etc/echomux, a conffile), Depends from dpkg-shlibdeps plus adduser,
# and the maintainer scripts in packaging/deb (the user echomux; the units as debhelper
# handles them). Build with -DCMAKE_BUILD_TYPE=Release -DECHOMUX_DEB_BUILDFLAGS=ON for a
# package: hardened as Debian builds its own; the binaries are stripped.
option(ECHOMUX_DEB_BUILDFLAGS
  "Compile and link with dpkg-buildflags' flags (FORTIFY, stack protector, relro, BIND_NOW), as a Debian package is built"
  OFF)
if(ECHOMUX_DEB_BUILDFLAGS)
  find_program(ECHOMUX_DPKG_BUILDFLAGS dpkg-buildflags REQUIRED)
  # hardening=+all adds BIND_NOW (-z now), which Debian leaves off by default. From the
  # source directory, so that -ffile-prefix-map maps it to "." (reproducible builds).
  foreach(var CPPFLAGS CFLAGS CXXFLAGS LDFLAGS)
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E env "DEB_BUILD_MAINT_OPTIONS=hardening=+all $ENV{DEB_BUILD_MAINT_OPTIONS}"
              ${ECHOMUX_DPKG_BUILDFLAGS} --get ${var}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
      OUTPUT_VARIABLE deb_${var} OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  endforeach()
  # CMake has no CPPFLAGS: as debhelper's cmake build system does, they go with the compiler
  # flags (-D_FORTIFY_SOURCE=2 is one). This file is included last, and CMake compiles every
  # target of a directory with the value these variables have at its end, so all of the
  # top directory's libraries and programs get them (test/, added earlier, does not).
  string(APPEND CMAKE_C_FLAGS " ${deb_CPPFLAGS} ${deb_CFLAGS}")
  string(APPEND CMAKE_CXX_FLAGS " ${deb_CPPFLAGS} ${deb_CXXFLAGS}")
  string(APPEND CMAKE_EXE_LINKER_FLAGS " ${deb_LDFLAGS}")
  message(STATUS "dpkg-buildflags for the .deb: ${deb_CPPFLAGS} ${deb_CXXFLAGS} / ${deb_LDFLAGS}")
endif()

set(ECHOMUX_DEB_MAINTAINER "echomux maintainers <maintainers@echomux.invalid>"
    CACHE STRING "Maintainer field of the .deb (the default is a placeholder: .invalid never resolves)")

set(CPACK_PACKAGE_NAME echomux)
set(CPACK_PACKAGE_VENDOR echomux)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "TCP and UDP echo server with TLS, PROXY protocol and io_uring")
# Lines under 80 columns: dpkg shows them as written.
set(CPACK_PACKAGE_DESCRIPTION "echomux answers every TCP client with the bytes it sends (RFC 862), in
order and unchanged (or upper-cased, or after a per-line prefix), also when
the client half-closes, reads slowly or resets; UDP datagrams are echoed too.
It can serve TLS, and read HAProxy's PROXY protocol (v1 and v2) from a load
balancer to see the real client. Memory per connection is bounded, idle
connections time out, the number of connections is capped, SIGTERM drains
gracefully, and /metrics serves Prometheus counters. It runs on Boost.Asio,
io_uring, or native epoll, poll and select loops, with one loop per thread.

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
# adduser for postinst, merged with what dpkg-shlibdeps finds in the binaries (libc6,
# libstdc++6, Boost, liburing2, libssl3, ...: never typed here). deb-systemd-helper and
# deb-systemd-invoke are init-system-helpers, Essential in Debian 12, as debhelper assumes.
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
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
# lintian's overrides, each with its reason.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME echomux)

include(CPack)
