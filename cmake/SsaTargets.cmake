# Helpers that give every ssa-train target the same flags, so the precompiled header can be reused.
function(ssa_setup_target target)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Winvalid-pch)
  target_link_libraries(${target} PUBLIC torch)
  if(SSA_USE_PCH AND NOT target STREQUAL "ssa_pch")
    target_precompile_headers(${target} REUSE_FROM ssa_pch)
  endif()
endfunction()

function(ssa_library target)
  add_library(${target} STATIC ${ARGN})
  ssa_setup_target(${target})
endfunction()
