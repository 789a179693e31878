#!/usr/bin/env bash
# Builds the libsolv floor for `resolve-scale`: libsolv with conda support (Debian's binary package is built
# without it) from Debian's source tarball of the same version, and conda_resolve.c against it.
# Usage: benchmarks/libsolv/setup.sh [DIR]   (default: ~/.cache/condamirror-bench/libsolv); prints DIR/conda_resolve.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-$HOME/.cache/condamirror-bench/libsolv}"
version=0.7.23
mkdir -p "$dir"
if [ ! -x "$dir/conda_resolve" ] || [ "$here/conda_resolve.c" -nt "$dir/conda_resolve" ]; then
  command -v cmake >/dev/null && command -v cc >/dev/null || { echo "error: cmake and a C compiler are needed" >&2; exit 1; }
  if [ ! -d "$dir/libsolv-$version" ]; then
    curl -fsSL "http://deb.debian.org/debian/pool/main/libs/libsolv/libsolv_$version.orig.tar.gz" -o "$dir/libsolv.tar.gz"
    tar -xzf "$dir/libsolv.tar.gz" -C "$dir"
  fi
  cmake -S "$dir/libsolv-$version" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DENABLE_CONDA=ON -DDISABLE_SHARED=ON \
    -DENABLE_STATIC=ON -DENABLE_RPMMD=OFF -DENABLE_COMPS=OFF -DWITH_LIBXML2=OFF -DENABLE_APPDATA=OFF \
    -DCMAKE_INSTALL_PREFIX="$dir/install" >"$dir/cmake.log" 2>&1 || { tail -30 "$dir/cmake.log" >&2; exit 1; }
  cmake --build "$dir/build" -j"$(nproc)" >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log" >&2; exit 1; }
  cmake --install "$dir/build" >>"$dir/build.log" 2>&1
  lib="$dir/install/lib"; [ -d "$lib" ] || lib="$dir/install/lib64"
  cc -O2 -o "$dir/conda_resolve" "$here/conda_resolve.c" -I"$dir/install/include" "$lib/libsolvext.a" "$lib/libsolv.a" -lz
fi
echo "$dir/conda_resolve"
