#!/usr/bin/env bash
# The installed package as a user consumes it (tests/install/CMakeLists.txt).
#
#   consume_installed.sh install      BUILD_DIR WORK_DIR SOURCE_DIR
#   consume_installed.sh find_package WORK_DIR SOURCE_DIR
#   consume_installed.sh pkg_config   WORK_DIR SOURCE_DIR
#
# `install` runs `cmake --install BUILD_DIR` into WORK_DIR/prefix and checks
# what landed there; the two others use nothing of the build tree: only the
# prefix, the system's packages and examples/ from SOURCE_DIR. The compiler,
# generator and ccache are the build's own (CXX, CMAKE_GENERATOR,
# CMAKE_MAKE_PROGRAM, IDEM_CCACHE in the environment), to keep it quick.
set -euo pipefail

mode=$1
die() {
  echo "FAIL: $*" >&2
  exit 1
}

# The archives idem::idem and idem::sandbox are made of (sorted); nothing else.
expected_archives="libidem_client.a libidem_common.a libidem_didit.a libidem_journal.a \
libidem_retry.a libidem_sandbox.a libidem_server.a libidem_transport.a libidem_webhook.a \
libidem_worker.a"

install_prefix() {
  local build=$1 work=$2 source=$3
  local prefix=$work/prefix
  rm -rf "$work"
  mkdir -p "$work"
  cmake --install "$build" --prefix "$prefix" >"$work/install.log"
  [[ -x $prefix/bin/idem ]] || die "no bin/idem in the prefix"
  [[ -f $prefix/lib/cmake/idem/idemConfig.cmake ]] || die "no idemConfig.cmake"
  [[ -f $prefix/lib/cmake/idem/idemConfigVersion.cmake ]] || die "no idemConfigVersion.cmake"
  [[ -f $prefix/lib/pkgconfig/idem.pc ]] || die "no idem.pc"
  local archives
  archives=$(find "$prefix/lib" -maxdepth 1 -name '*.a' -printf '%f\n' | LC_ALL=C sort | xargs)
  [[ $archives == "$expected_archives" ]] || die "installed archives: $archives"
  # Public headers only: include/idem/ and nothing beside it, no tool header.
  [[ $(ls "$prefix/include") == idem ]] || die "include/ holds $(ls "$prefix/include")"
  local tool
  for tool in bench chaos demo sandbox_self_check sandbox_load; do
    [[ ! -e $prefix/include/idem/$tool.h ]] || die "tool header idem/$tool.h installed"
  done
  [[ -f $prefix/include/idem/sandbox.h && -f $prefix/include/idem/didit.h ]] ||
    die "public headers missing"
  # Nothing of the source or build tree in the package files.
  if grep -rF -e "$build" -e "$source" "$prefix/lib/cmake" "$prefix/lib/pkgconfig"; then
    die "a package file names the build or source tree"
  fi
  echo "installed into $prefix: $archives"
}

# Starts the installed `idem sandbox` on a free port; sets sandbox_pid and
# sandbox_url.
start_installed_sandbox() {
  local prefix=$1 log=$2
  "$prefix/bin/idem" sandbox --listen 127.0.0.1:0 >"$log" 2>&1 &
  sandbox_pid=$!
  trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true' EXIT
  local i
  for ((i = 0; i < 200; i++)); do
    sandbox_url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$log")
    [[ -n $sandbox_url ]] && return 0
    kill -0 "$sandbox_pid" 2>/dev/null || die "idem sandbox exited: $(cat "$log")"
    sleep 0.05
  done
  die "idem sandbox did not listen within 10 s"
}

# create_session_once twice with one op id: the same session both times.
run_create_session_once() {
  local bin=$1 work=$2
  local journal=$work/journal.db
  rm -f "$journal" "$journal-wal" "$journal-shm"
  local first second
  first=$(IDEM_BASE_URL=$sandbox_url IDEM_API_KEY=sandbox-key IDEM_JOURNAL=$journal \
    "$bin" 11111111-2222-4333-8444-555555555555 user-123 op-1)
  second=$(IDEM_BASE_URL=$sandbox_url IDEM_API_KEY=sandbox-key IDEM_JOURNAL=$journal \
    "$bin" 11111111-2222-4333-8444-555555555555 user-123 op-1)
  [[ -n $first && $first == "$second" ]] || die "sessions '$first' then '$second'"
  echo "$(basename "$bin"): session $first, the same on the second run"
}

launcher=()
if [[ -n ${IDEM_CCACHE:-} ]]; then launcher=("-DCMAKE_CXX_COMPILER_LAUNCHER=$IDEM_CCACHE"); fi

consume_with_find_package() {
  local work=$1 source=$2
  local prefix=$work/prefix build=$work/examples
  rm -rf "$build"
  # CMAKE_PREFIX_PATH names the prefix only; the rest comes from the system.
  cmake -S "$source/examples" -B "$build" -G "$CMAKE_GENERATOR" \
    -DCMAKE_MAKE_PROGRAM="$CMAKE_MAKE_PROGRAM" -DCMAKE_CXX_COMPILER="$CXX" \
    "${launcher[@]}" -DCMAKE_PREFIX_PATH="$prefix" >"$work/examples-configure.log" ||
    { cat "$work/examples-configure.log"; die "configuring examples/ with find_package(idem)"; }
  grep -qx "idem_DIR:PATH=$prefix/lib/cmake/idem" "$build/CMakeCache.txt" ||
    die "idem was not found in the prefix: $(grep '^idem_DIR' "$build/CMakeCache.txt")"
  cmake --build "$build" >"$work/examples-build.log" 2>&1 ||
    { tail -50 "$work/examples-build.log"; die "building examples/"; }
  # idem::sandbox in the example's own process.
  "$build/sandbox_in_a_test" "$work/sandbox_in_a_test.db" || die "sandbox_in_a_test"
  start_installed_sandbox "$prefix" "$work/sandbox-find_package.log"
  run_create_session_once "$build/create_session_once" "$work"
}

consume_with_pkg_config() {
  local work=$1 source=$2
  local prefix=$work/prefix
  local flags
  flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs idem) ||
    die "pkg-config --cflags --libs idem"
  echo "pkg-config --cflags --libs idem: $flags"
  mkdir -p "$work/pkg_config"
  # shellcheck disable=SC2086 # flags are words
  ${IDEM_CCACHE:+"$IDEM_CCACHE"} "$CXX" -std=c++20 "$source/examples/create_session_once.cc" \
    $flags -o "$work/pkg_config/create_session_once" || die "building with pkg-config's flags"
  start_installed_sandbox "$prefix" "$work/sandbox-pkg_config.log"
  run_create_session_once "$work/pkg_config/create_session_once" "$work/pkg_config"
}

case $mode in
install) install_prefix "$2" "$3" "$4" ;;
find_package) consume_with_find_package "$2" "$3" ;;
pkg_config) consume_with_pkg_config "$2" "$3" ;;
*) die "unknown mode $mode" ;;
esac
