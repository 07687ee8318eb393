#!/usr/bin/env bash
# Runs every test of Presence: builds the solution (warnings are errors), then the unit and
# integration suites, one after the other. Integration tests start real redis-server processes, build the C client
# with gcc, run the Python client with python3 and drive the web console in chromium, so Debian's
# redis-server, gcc, python3 and chromium packages are installed first when missing (as root;
# otherwise it says how).
# Extra arguments go to `dotnet test` (e.g. --filter 'FullyQualifiedName~Ingest').
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need_packages+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || [ -x /usr/bin/redis-cli ] || need_packages+=(redis-tools)
# The web console's browser test drives Debian's chromium (headless).
[ -x /usr/bin/chromium ] || need_packages+=(chromium)
# The C and Python clients' tests (clients/) build with gcc and run with python3.
command -v gcc >/dev/null 2>&1 && [ -e /usr/include/stdio.h ] || need_packages+=(gcc libc6-dev)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
# The deployment tests (tests/Presence.Integration.Tests/Deploy) run promtool and systemd-analyze.
command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ] || need_packages+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || [ -x /usr/bin/systemd-analyze ] || need_packages+=(systemd)
# The fault-schedule run (tests/Presence.Integration.Tests/Faults) partitions the store with `ip` (network namespaces, as root).
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need_packages+=(iproute2)
if [ ${#need_packages[@]} -gt 0 ]; then
  echo "== installing ${need_packages[*]} (Debian packages)"
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
  else
    echo "error: the integration tests need ${need_packages[*]}: run 'apt-get install ${need_packages[*]}' as root, or run this script as root." >&2
    exit 1
  fi
fi
# Debian's package may start a system redis on 6379; the tests never use it (they pick free ports).

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "== build (Release, warnings as errors)"
dotnet build Presence.sln -c Release -warnaserror -nologo -clp:NoSummary -v:q

# --blame-hang-timeout: a test silent this long is taken for hung and the run is aborted with
# dumps. 15 min, not 5: publishing self-contained executables (PublishTests) took over 5 minutes
# on a 2-core machine loaded by other builds, and an abort loses the whole assembly's results.
log=$(mktemp)
status=0
# One test assembly at a time: run side by side (as `dotnet test Presence.sln` does), the unit
# suite's fuzz and property tests take both cores from the integration suite, whose tests time
# UDP receives, flush windows and outages.
for project in tests/*/*.Tests.csproj; do
  echo "== test $(basename "$project" .csproj)"
  dotnet test "$project" -c Release --no-build -nologo \
    --blame-hang-timeout 15m --logger "console;verbosity=normal" "$@" 2>&1 | tee -a "$log" || status=$?
done

# One closing line over every test assembly, in the form CI reads ('N passed, N failed').
awk '
  # vstest prints, per test assembly, "Total tests: N" then "Passed: N", "Failed: N", "Skipped: N".
  /^Total tests:/            { runs++ }
  /^[[:space:]]+Passed: [0-9]+$/  { p += $2 }
  /^[[:space:]]+Failed: [0-9]+$/  { f += $2 }
  /^[[:space:]]+Skipped: [0-9]+$/ { s += $2 }
  /Test Run Aborted|Test Run Failed/ { aborted++ }
  # Each failed test with its message, repeated at the end where a truncated log still shows it.
  /^[[:space:]]+Failed [^[:space:]]/ { failures = failures "FAILED:" $0 "\n"; grab = 1; next }
  grab && /^[[:space:]]+Stack Trace:/ { grab = 0 }
  grab && /^[[:space:]]+Passed |^[[:space:]]+Skipped / { grab = 0 }
  grab && lines < 200                 { failures = failures "  " $0 "\n"; lines++ }
  END {
    if (failures != "") printf "%s", failures
    if (runs == 0) { print "Tests: no test assembly reported a result"; exit 1 }
    printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s
    if (f > 0 || p == 0 || aborted > 0) exit 1
  }' "$log" || status=1
rm -f "$log"
exit $status
