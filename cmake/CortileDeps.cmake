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
