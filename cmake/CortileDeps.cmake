# Finds every external dependency through pkg-config and names the Debian
# package to install when one is missing.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

function(cortile_require target module debian_package)
  pkg_check_modules(${target} IMPORTED_TARGET ${module})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR "Missing dependency '${module}': apt-get install ${debian_package}")
  endif()
endfunction()

cortile_require(GSL gsl libgsl-dev)
cortile_require(YAML yaml-0.1 libyaml-dev)
cortile_require(CJSON libcjson libcjson-dev)
cortile_require(ZLIB zlib zlib1g-dev)
cortile_require(CHECK check check)
cortile_require(SYSTEMC systemc libsystemc-dev)

find_library(MATH_LIBRARY m)

# MPI (multi-rank sweeps and board runs). cortile calls MPI_Init only when a
# launcher (mpirun) started it, so plain runs stay MPI-free at run time.
find_package(MPI COMPONENTS C)
if(NOT MPI_C_FOUND)
  message(FATAL_ERROR "Missing dependency 'MPI': apt-get install libopenmpi-dev openmpi-bin")
endif()

# cortile_module(NAME [DEPS target...] [EXCLUDE file...]): the static library
# cortile_NAME of every .c and .cpp file in the calling folder, whose headers
# (the folder) are public. DEPS are the modules and packages it may use
# (tools/deps.py checks the arrows); a new source file needs no edit here.
function(cortile_module name)
  cmake_parse_arguments(M "" "" "DEPS;EXCLUDE" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(x ${M_EXCLUDE})
    list(REMOVE_ITEM srcs ${CMAKE_CURRENT_SOURCE_DIR}/${x})
  endforeach()
  add_library(cortile_${name} STATIC ${srcs})
  target_include_directories(cortile_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(cortile_${name} PUBLIC ${M_DEPS})
endfunction()
