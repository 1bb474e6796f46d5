#!/usr/bin/env bash
# Builds the edge app fully static (libc too) and stripped, from a static
# Release build of Custos, and prints its size in bytes.
#   examples/edge/size.sh [BUILD_DIR]      default build-rel (Release, static)
# Shared machines: set CUSTOS_BUILD_LOCK=/tmp/custos-build.lock to build
# under flock.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-rel}
lock=()
[ -n "${CUSTOS_BUILD_LOCK:-}" ] && lock=(flock "$CUSTOS_BUILD_LOCK")
"${lock[@]}" cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF >/dev/null
"${lock[@]}" cmake --build "$build" -j "$(nproc)" --target custos custos_cli >/dev/null
prefix="$build/edge-size/prefix"
rm -rf "$build/edge-size"
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name custos.pc)")
out="$build/edge-size/edge"
# -static: libc, libstdc++, SQLite and libcrypto linked in; --gc-sections
# drops the sections nothing reaches; -s strips. glibc warns that OpenSSL's
# dlopen and getaddrinfo need the shared libc at run time (the edge app
# uses neither).
# shellcheck disable=SC2046
cc -std=c11 -O2 -static -s -Wl,--gc-sections examples/edge/edge.c -o "$out" \
  $(pkg-config --static --cflags --libs custos) 2> >(grep -v -e "statically linked applications requires at runtime" -e "in function .BIO_\|in function .DSO_\|in function .getaddr" >&2 || true)
dynamic="$build/edge-size/edge-dynamic"
# shellcheck disable=SC2046
cc -std=c11 -O2 -s -Wl,--gc-sections $(pkg-config --cflags custos) examples/edge/edge.c \
  -o "$dynamic" "$prefix"/lib*/libcustos.a -lstdc++ -lm -lsqlite3 -lcrypto -pthread
echo "edge, fully static, stripped: $(stat -c %s "$out") bytes ($out)"
echo "edge, static libcustos, shared libc/libstdc++/sqlite3/libcrypto, stripped: $(stat -c %s "$dynamic") bytes"
