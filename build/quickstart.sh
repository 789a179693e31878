#!/usr/bin/env bash
# Quick start, no internet needed: generate a small upstream conda channel with the project's own code,
# pack CondaMirror.MSBuild into nuget/, and build samples/QuickStart (the README's first example against that channel),
# whose build output is a conda channel.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VERSION="0.1.0"

echo "== Generating the sample upstream channel"
dotnet run --project samples/SampleUpstream -c Release -- "$ROOT/samples/upstream-channel"

echo "== Packing CondaMirror.MSBuild $VERSION into nuget/"
dotnet pack src/CondaMirror.MSBuild -c Release -o "$ROOT/nuget" -p:Version="$VERSION" -nodeReuse:false

echo "== Building samples/QuickStart"
# A private package folder so the package just packed is the one used (NuGet caches by version).
export NUGET_PACKAGES="$ROOT/samples/QuickStart/obj/nuget-packages"
rm -rf "$NUGET_PACKAGES"
dotnet build samples/QuickStart/QuickStart.csproj -nodeReuse:false -p:CondaMirrorVersion="$VERSION" \
  -p:CondaPackageCachePath="$ROOT/samples/QuickStart/obj/conda-pkgs" \
  -p:CondaRepodataCachePath="$ROOT/samples/QuickStart/obj/conda-repodata"

echo "== Building samples/FromLockFile (mirrors the lock QuickStart just wrote, without solving)"
dotnet build samples/FromLockFile/FromLockFile.csproj -nodeReuse:false -p:CondaMirrorVersion="$VERSION" \
  -p:CondaPackageCachePath="$ROOT/samples/QuickStart/obj/conda-pkgs"

CHANNEL="$ROOT/samples/QuickStart/bin/Debug/net10.0/conda-channel"
echo "== Done. The channel is in $CHANNEL:"
find "$CHANNEL" -type f | sed "s|$CHANNEL/|  |" | sort
echo "Install from it with conda on Linux (the sample's python runs /usr/bin/python3) and use it:"
echo "  conda create -p samples/analysis --override-channels -c \"file://$CHANNEL\" pandas scikit-learn"
echo "  samples/analysis/bin/python -c \"import pandas, sklearn; print(pandas.__version__, sklearn.__version__)\""
