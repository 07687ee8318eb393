#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with libFuzzer through SharpFuzz (SECURITY.md).
#   fuzz/run-libfuzzer.sh TARGET [libFuzzer flags...]     TARGET: parse | tcp
# e.g. fuzz/run-libfuzzer.sh tcp -max_total_time=600
# Needs: the sharpfuzz tool (dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0) and
# the libfuzzer-dotnet driver at $LIBFUZZER_DOTNET, built from github.com/Metalnem/libfuzzer-dotnet
# with Debian's clang and libfuzzer-14-dev (no compiler-rt fuzzer runtime is packaged, so link
# libFuzzer.a directly):
#   clang++ -O1 libfuzzer-dotnet.cc /usr/lib/llvm-14/lib/libFuzzer.a -lpthread -o libfuzzer-dotnet
# Work files go under $FUZZ_WORK (default /tmp/presence-fuzz): the instrumented build, the
# corpus (kept between runs) and crash-* inputs, replayable with `presence-fuzz replay`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run-libfuzzer.sh parse|tcp [libFuzzer flags]}
shift
driver=${LIBFUZZER_DOTNET:-/tmp/libfuzzer-dotnet/libfuzzer-dotnet}
work=${FUZZ_WORK:-/tmp/presence-fuzz}
sharpfuzz=${SHARPFUZZ:-$HOME/.dotnet/tools/sharpfuzz}
[ -x "$driver" ] || { echo "error: no libfuzzer-dotnet driver at $driver (see the comment at the top)" >&2; exit 1; }

out="$work/bin"
rm -rf "$out"
dotnet publish fuzz/Presence.Fuzz -c Release -o "$out" -nologo -v:q -clp:NoSummary
corpus="$work/corpus-$target"
if [ ! -d "$corpus" ]; then
  # Before instrumenting: instrumented code writes to the driver's shared memory, absent here.
  dotnet "$out/presence-fuzz.dll" seed "$target" "$corpus"
fi
# Only the code under test is instrumented: the frame codec and the ingester (where the TCP
# reader and the intake live). The harness, SharpFuzz and the framework are not.
for dll in Presence.Core.dll presence-ingest.dll; do
  "$sharpfuzz" "$out/$dll"
done
mkdir -p "$work/crashes-$target"
# The driver starts the .NET side through a one-line launcher (its --target_args splitting
# mangles the arguments with the driver built as above).
launcher="$work/launch-$target.sh"
printf '#!/bin/sh\nexec dotnet "%s" libfuzzer %s\n' "$out/presence-fuzz.dll" "$target" > "$launcher"
chmod +x "$launcher"
exec "$driver" --target_path="$launcher" \
  -artifact_prefix="$work/crashes-$target/" -timeout=10 -rss_limit_mb=2048 "$@" "$corpus"
