#!/usr/bin/env bash
# The one-command demo (store, ingest, query, load generator, summary): not yet.
# It lands with the load-generator issue; until then this says so and exits 1.
echo "demo: not yet available (the ingest, query and load generator are being built; see README.md)." >&2
exit 1
