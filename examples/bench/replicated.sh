#!/usr/bin/env bash
# replicated: kill -9 of the primary's machine (its Tandem JVM and its PostgreSQL 15) in the replicated example
# cluster (examples/replicated/: two nodes in network namespaces, each with its own copy, sync mode, the floating
# address following the primary, a client writing through it all the time). Each trial kills whichever node is the
# primary, measures until the standby's server answers as the primary through the floating address, starts the
# killed machine again (it must come back as a standby) and reads every acknowledged write back from the new primary.
# Prints: replicated failover ms: p50=... p99=... lost_acknowledged=... (trials=N, ...)
#         replicated writes acknowledged again ms: p50=... max=...  (sync: until the returning standby streams)
# Options: N trials (20 by default). REPLICATED_MODE=async measures async mode instead. Needs root.
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "replicated bench: needs root (network namespaces, PostgreSQL run as the postgres user); skipped" >&2
  exit 2
fi
ls /usr/lib/postgresql/*/bin/pg_rewind >/dev/null 2>&1 || { echo "replicated bench: PostgreSQL not installed; skipped" >&2; exit 2; }
[ "${1:-}" = replicated ] && shift
trials="${1:-20}"
case "$trials" in ''|*[!0-9]*) echo "replicated bench: the number of trials must be a number, not '$trials'" >&2; exit 2 ;; esac
. "$root/examples/shared-array/lib.sh"
run_driver org.tandemha.examples.replicated.ReplicatedMain --mode "${REPLICATED_MODE:-sync}" --scenario kill --runs "$trials" --bench
