# echomux(1) and echomux.conf(5), made at build time from their one source each, so they
# cannot drift: echomux(1) by help2man from the built binary's --help and --version (plus
# packaging/man/echomux.1.h2m for signals, exit status, files, examples), echomux.conf(5)
# from conf/echomux.conf's comments by packaging/man/conf_to_man.py. Without help2man or
# python3 everything else still builds, without man pages.
find_program(ECHOMUX_HELP2MAN help2man)
find_program(ECHOMUX_GZIP gzip)
find_package(Python3 COMPONENTS Interpreter)
if(NOT ECHOMUX_HELP2MAN OR NOT ECHOMUX_GZIP OR NOT Python3_Interpreter_FOUND)
  message(STATUS "help2man, gzip or python3 not found: building without man pages "
                 "(./scripts/install-deps.sh --test installs help2man)")
  set(ECHOMUX_MAN_PAGES OFF)
  return()
endif()
set(ECHOMUX_MAN_PAGES ON)

set(man_dir ${PROJECT_BINARY_DIR}/man)
file(MAKE_DIRECTORY ${man_dir})
add_custom_command(OUTPUT ${man_dir}/echomux.1
  COMMAND ${ECHOMUX_HELP2MAN} --no-info --section 1
          --include ${PROJECT_SOURCE_DIR}/packaging/man/echomux.1.h2m
          --output ${man_dir}/echomux.1 $<TARGET_FILE:echomux>
  DEPENDS echomux ${PROJECT_SOURCE_DIR}/packaging/man/echomux.1.h2m
  COMMENT "echomux.1 from echomux --help")
add_custom_command(OUTPUT ${man_dir}/echomux.conf.5
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/packaging/man/conf_to_man.py
          ${PROJECT_SOURCE_DIR}/conf/echomux.conf ${PROJECT_VERSION} > ${man_dir}/echomux.conf.5
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/man/conf_to_man.py ${PROJECT_SOURCE_DIR}/conf/echomux.conf
  COMMENT "echomux.conf.5 from conf/echomux.conf")
# Installed compressed, as Debian policy asks (-n: no name or time stamp, reproducible).
foreach(page echomux.1 echomux.conf.5)
  add_custom_command(OUTPUT ${man_dir}/${page}.gz
    COMMAND ${ECHOMUX_GZIP} -9 -n -c ${man_dir}/${page} > ${man_dir}/${page}.gz
    DEPENDS ${man_dir}/${page})
endforeach()
add_custom_target(man_pages ALL DEPENDS ${man_dir}/echomux.1.gz ${man_dir}/echomux.conf.5.gz)

install(FILES ${man_dir}/echomux.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${man_dir}/echomux.conf.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
