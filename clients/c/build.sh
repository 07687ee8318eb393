#!/usr/bin/env bash
# Builds the C client's tests and examples into OUTDIR with the strict flags the test command
# uses (C99, all warnings as errors, AddressSanitizer and UndefinedBehaviorSanitizer), and the
# library object as a device would build it (-Os, no POSIX helper), whose `size` it prints.
# Usage: clients/c/build.sh OUTDIR        (then OUTDIR/vectors_test docs/vectors.json, OUTDIR/fuzz_test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUTDIR}"
mkdir -p "$out"
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "error: $cc not found: install Debian's gcc (apt-get install gcc libc6-dev); ./scripts/test.sh does" >&2
  exit 1
fi
strict=(-std=c99 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)

for program in test/vectors_test test/fuzz_test examples/presence_send examples/heartbeat; do
  "$cc" "${strict[@]}" -I"$here" "$here/presence.c" "$here/$program.c" -o "$out/$(basename "$program")"
done

# The device build: what a microcontroller links (no sockets, size-optimised).
"$cc" -std=c99 -Wall -Wextra -Werror -pedantic -Os -DPRESENCE_NO_POSIX -c "$here/presence.c" -o "$out/presence.o"
"$cc" -std=c99 -Wall -Wextra -Werror -pedantic -Os -c "$here/presence.c" -o "$out/presence-posix.o"
size "$out/presence.o" "$out/presence-posix.o"
