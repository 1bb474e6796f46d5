#!/bin/sh
# The `pkgconfig_consumer` test: installs the build into a scratch prefix,
# then builds a C11 and a C++17 program with only
# `pkg-config [--static] --cflags --libs custos`, runs them and compares
# their output.
#   pkgconfig_test.sh BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR SHARED(ON|OFF) CC CXX
set -eu
build=$1 source=$2 work=$3 libdir=$4 shared=$5 cc=$6 cxx=$7
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
PKG_CONFIG_PATH="$work/prefix/$libdir/pkgconfig"
export PKG_CONFIG_PATH
static=
case "$shared" in
  ON|on|1|TRUE|true|YES|yes) ;;
  *) static=--static ;;
esac
flags=$(pkg-config $static --cflags --libs custos)
echo "pkg-config $static --cflags --libs custos: $flags"
# shellcheck disable=SC2086 # flags are words
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror "$source/tests/pkgconfig/consumer.c" \
  -o "$work/consumer_c" $flags
# shellcheck disable=SC2086
"$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror "$source/tests/pkgconfig/consumer.cpp" \
  -o "$work/consumer_cpp" $flags
LD_LIBRARY_PATH="$work/prefix/$libdir"
export LD_LIBRARY_PATH
version=$(pkg-config --modversion custos)
decision='{"allowed":true,"items":[{"category":"contact.email","effect":"allow","transform":"mask","rule":"agent-mask"}]'
expected_c="custos $version (C): $decision"
expected_cpp="custos $version (C++): $decision"
actual_c=$("$work/consumer_c" "$work")
actual_cpp=$("$work/consumer_cpp")
status=0
if [ "$actual_c" != "$expected_c" ]; then
  printf 'FAIL: C consumer printed\n  %s\nexpected\n  %s\n' "$actual_c" "$expected_c"
  status=1
fi
if [ "$actual_cpp" != "$expected_cpp" ]; then
  printf 'FAIL: C++ consumer printed\n  %s\nexpected\n  %s\n' "$actual_cpp" "$expected_cpp"
  status=1
fi
if [ -z "$static" ] && ! ldd "$work/consumer_c" | grep -q "$work/prefix/$libdir/libcustos.so"; then
  echo "FAIL: the C consumer does not use the installed libcustos.so"
  status=1
fi
[ $status = 0 ] && echo "ok: $actual_c" && echo "ok: $actual_cpp"
exit $status
