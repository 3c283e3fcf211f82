# SPDX-License-Identifier: BSL-1.0
# What `cmake --install` puts where (and so what the .deb holds). Paths follow GNUInstallDirs
# and the FHS: under the prefix /usr (the .deb), the conf file goes to /etc/echomux and the
# systemd units to /lib/systemd/system; under any other prefix, to <prefix>/etc/echomux and
# <prefix>/lib/systemd/system, so `cmake --install build --prefix DIR` never writes outside DIR.
include(GNUInstallDirs)

install(TARGETS echomux echomux-client echomux-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# With --strip (cpack: CPACK_STRIP_FILES), the compiler's .comment section goes too, as
# dh_strip does (lintian: binary-has-unneeded-section).
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(program echomux echomux-client echomux-bench)
      execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note
        \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\${program}\" COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()
")

# The prefix is known only at install time (cpack installs with /usr, `cmake --install
# --prefix` with its own), so the choice between /etc and <prefix>/etc is made then.
# file(INSTALL) adds DESTDIR itself. Usage: echomux_install_beside_usr(<dir under etc or lib> FILES...)
function(echomux_install_beside_usr subdir)
  set(files "")
  foreach(f IN LISTS ARGN)
    string(APPEND files " \"${f}\"")
  endforeach()
  install(CODE "
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(echomux_root \"\")
    else()
      set(echomux_root \"\${CMAKE_INSTALL_PREFIX}\")
    endif()
    file(INSTALL DESTINATION \"\${echomux_root}/${subdir}\" TYPE FILE FILES ${files})
  ")
endfunction()

echomux_install_beside_usr(etc/echomux ${PROJECT_SOURCE_DIR}/conf/echomux.conf)

# Hook for the systemd units: whatever deploy/systemd/ holds is installed, nothing when it is absent.
file(GLOB ECHOMUX_SYSTEMD_UNITS CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/deploy/systemd/*.service ${PROJECT_SOURCE_DIR}/deploy/systemd/*.socket)
if(ECHOMUX_SYSTEMD_UNITS)
  echomux_install_beside_usr(lib/systemd/system ${ECHOMUX_SYSTEMD_UNITS})
endif()

# The README beside the copyright file and changelog that cmake/Package.cmake writes.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
