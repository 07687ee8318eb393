#!/usr/bin/env bash
# The demo: builds Release, then runs the store (embedded Garnet, or --redis / $PRESENCE_REDIS),
# presence-ingest, presence-query and presence-loadgen as real processes on 127.0.0.1, with live
# progress, verification through the query API, and a summary. Ctrl-C stops everything it started.
# Options: scripts/demo.sh --help   (e.g. --short, --users 200000 --duration 30, --signed)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "[demo] building (Release)..." >&2
dotnet build tools/Demo -c Release -nologo -v:q -clp:NoSummary >/dev/null
exec dotnet tools/Demo/bin/Release/net10.0/presence-demo.dll "$@"
