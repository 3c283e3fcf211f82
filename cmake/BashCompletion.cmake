# Bash completion for the three programs: one script (packaging/bash-completion/echomux)
# that asks the programs themselves for their flags and values, installed under each
# program's name, as bash-completion loads a completion by the command's name.
set(completion_dir ${PROJECT_BINARY_DIR}/bash-completion)
configure_file(${PROJECT_SOURCE_DIR}/packaging/bash-completion/echomux ${completion_dir}/echomux COPYONLY)
foreach(tool echomux-client echomux-bench)
  file(CREATE_LINK echomux ${completion_dir}/${tool} SYMBOLIC)
endforeach()
install(FILES ${completion_dir}/echomux ${completion_dir}/echomux-client ${completion_dir}/echomux-bench
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
