#!/usr/bin/env bash
# conda-index 0.12.1, the reference indexer of the `index` benchmark, run from its source under Debian's python3
# with the shared conda client (conda-index imports conda).
#
# usage: setup.sh DIR      -> DIR/conda-index runs `python3 -m conda_index`; prints its path last
# Needs root for apt-get the first time. Idempotent.
#
# Source: conda-index-0.12.1-src.tar.gz beside this script holds the conda_index package and LICENSE (BSD-3-Clause)
# of the 0.12.1 tag of github.com/conda/conda-index, unmodified. 0.12.1 is the last release that compresses with
# `zstandard` (later ones need backports.zstd, which Debian 12 does not package). Without an installed
# _version.py it reports its version as 0.0.0.dev0+placeholder; the code is 0.12.1's.
set -euo pipefail
DIR=${1:?usage: setup.sh DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)

# conda itself (and its Debian dependencies: zstandard, conda-package-streaming, ruamel.yaml, ...).
CONDA_CLIENT_SETUP=${CONDA_CLIENT_SETUP:-$ROOT/../shared/tools/conda-client/setup.sh}
"$CONDA_CLIENT_SETUP" "$DIR/conda-client" >/dev/null

# What conda-index needs beyond conda's own dependencies.
if ! /usr/bin/python3 -c 'import click, jinja2, filelock, more_itertools, msgpack, zstandard, conda_package_streaming' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq python3-click python3-jinja2 python3-filelock python3-more-itertools python3-msgpack \
    python3-zstandard python3-conda-package-streaming >/dev/null
fi

if [ ! -f "$DIR/src/conda_index/__init__.py" ]; then
  rm -rf "$DIR/src" && mkdir -p "$DIR/src"
  tar -xzf "$HERE/conda-index-0.12.1-src.tar.gz" -C "$DIR/src"
fi

CLIENT="$DIR/conda-client"
cat > "$DIR/conda-index" <<EOF
#!/bin/sh
# conda-index 0.12.1 from source under Debian's python3, with conda 25.11.1 importable; see benchmarks/conda-index/setup.sh.
export PYTHONPATH="$DIR/src:$CLIENT/src/conda-25.11.1:$CLIENT/pylib"
export CONDARC="$CLIENT/condarc" CONDA_ROOT_PREFIX="$CLIENT/root" PYTHONNOUSERSITE=1
exec /usr/bin/python3 -m conda_index "\$@"
EOF
chmod +x "$DIR/conda-index"
"$DIR/conda-index" --help >/dev/null
echo "$DIR/conda-index"
