#!/usr/bin/env bash
# Release builds of Presence: presence-ingest, presence-query and presence-loadgen as self-contained
# single-file executables (no .NET needed on the host) for linux-x64 and linux-arm64, and a
# SHA256SUMS file over them. docs/DEPLOY.md says how to install them.
#
#   scripts/publish.sh                                  # both RIDs, all three, into artifacts/publish/
#   scripts/publish.sh --rid linux-x64 --only presence-ingest --out /tmp/out
#   cd artifacts/publish && sha256sum -c SHA256SUMS     # check a copy
#
# Layout: <out>/<rid>/<program>, and <out>/SHA256SUMS with paths relative to <out>.
# Each build goes through its own intermediate folders (under <out>/.build), so running this
# never touches the bin/ and obj/ of a checkout that is being built or tested at the same time.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: scripts/publish.sh [--rid RID]... [--only PROGRAM]... [--out DIR] [--version VERSION]
  --rid RID          linux-x64 or linux-arm64 (repeatable; default: both)
  --only PROGRAM     presence-ingest, presence-query or presence-loadgen (repeatable; default: all three)
  --out DIR          output folder (default: artifacts/publish); emptied first
  --version VERSION  stamped into the binaries (default: the project's, 1.0.0)
EOF
}

# program -> project. Trimming (PublishTrimmed) is off for all three: each references
# CommandLineParser, whose reflection over the options class the trimmer cannot follow (IL2104,
# IL2026, IL2070 and others), and presence-ingest also the embedded store, Garnet (IL2104 in
# Garnet.common, Garnet.host and Garnet.server). A trimmed build would only pass by silencing
# those warnings, and nothing would then show which option parsing or store code was cut.
declare -A project=(
  [presence-ingest]=src/Ingest/Presence.Ingest.csproj
  [presence-query]=src/Query/Presence.Query.csproj
  [presence-loadgen]=src/LoadGen/Presence.LoadGen.csproj
)
all_programs=(presence-ingest presence-query presence-loadgen)
all_rids=(linux-x64 linux-arm64)

rids=() programs=() out=artifacts/publish version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) [ $# -ge 2 ] || { echo "publish.sh: --rid needs a value" >&2; exit 2; }; rids+=("$2"); shift 2 ;;
    --only) [ $# -ge 2 ] || { echo "publish.sh: --only needs a value" >&2; exit 2; }; programs+=("$2"); shift 2 ;;
    --out) [ $# -ge 2 ] || { echo "publish.sh: --out needs a value" >&2; exit 2; }; out="$2"; shift 2 ;;
    --version) [ $# -ge 2 ] || { echo "publish.sh: --version needs a value" >&2; exit 2; }; version="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "publish.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#rids[@]} -gt 0 ] || rids=("${all_rids[@]}")
[ ${#programs[@]} -gt 0 ] || programs=("${all_programs[@]}")
for rid in "${rids[@]}"; do
  case "$rid" in linux-x64|linux-arm64) ;; *) echo "publish.sh: --rid must be linux-x64 or linux-arm64, not '$rid'" >&2; exit 2 ;; esac
done
for program in "${programs[@]}"; do
  [ -n "${project[$program]:-}" ] || { echo "publish.sh: --only must be one of ${all_programs[*]}, not '$program'" >&2; exit 2; }
done
if [ -n "$version" ] && ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
  echo "publish.sh: --version must look like 1.2.3 or 1.2.3-rc.1, not '$version'" >&2; exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The folder is emptied first, so it must be new, empty, or an earlier output of this script.
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -f "$out/SHA256SUMS" ] && [ ! -d "$out/.build" ]; then
  echo "publish.sh: $out is not empty and not an earlier output of publish.sh; give a new or empty --out" >&2
  exit 2
fi
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

for rid in "${rids[@]}"; do
  for program in "${programs[@]}"; do
    echo "== $program ($rid)"
    # SelfContained + PublishSingleFile: one executable with the runtime inside. Native libraries
    # (the embedded store's) go inside too and are unpacked on first start into
    # $DOTNET_BUNDLE_EXTRACT_BASE_DIR (default ~/.net): the systemd units point it at a cache folder.
    # Not compressed: compressed assemblies would be unpacked into anonymous memory at every
    # start, adding to the RSS that docs/SCALING.md budgets, to save disk.
    # No .pdb, .xml or static-web-assets files beside the executable.
    dotnet publish "${project[$program]}" -c Release -r "$rid" --self-contained \
      -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:PublishTrimmed=false \
      -p:DebugType=none -p:PublishDocumentationFiles=false -p:PublishReferencesDocumentationFiles=false \
      -p:StaticWebAssetsEnabled=false ${version:+-p:Version=$version} \
      --artifacts-path "$out/.build" -o "$out/$rid" -nologo -v:q -clp:NoSummary
    [ -x "$out/$rid/$program" ] || { echo "publish.sh: $out/$rid/$program was not produced" >&2; exit 1; }
  done
done
rm -rf "$out/.build"

# Nothing but the executables may be left beside them: a file here would be missing on a host
# that installs only the executable.
extra=$(cd "$out" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | grep -v -x -F -f <(for r in "${rids[@]}"; do for p in "${programs[@]}"; do echo "$r/$p"; done; done) || true)
if [ -n "$extra" ]; then
  echo "publish.sh: unexpected files beside the executables: $extra" >&2
  exit 1
fi

(cd "$out" && for r in "${rids[@]}"; do for p in "${programs[@]}"; do echo "$r/$p"; done; done | xargs sha256sum > SHA256SUMS)
echo "== $out"
(cd "$out" && for r in "${rids[@]}"; do for p in "${programs[@]}"; do printf '%-28s %6.1f MB\n' "$r/$p" "$(($(stat -c %s "$r/$p") / 100000))e-1"; done; done)
echo "SHA256SUMS: $out/SHA256SUMS"
