#!/usr/bin/env bash
# faults: the fault lab (Tandem's CTS). Real node JVMs in network namespaces, a client working through the floating
# address all the time and recording a history, a nemesis drawing random faults from a seed, and a checker over the
# history: no split brain, no lost acknowledged write, every outage within the bound the configuration implies.
# Clusters: web (VIP + HTTP service, tiebreaker + witness) and db (volume + PostgreSQL + VIP on a tgtd LUN).
# Options: --faults N (200), --seed S (random, printed), --cluster web|db|both (both). Needs root.
# Prints a line per fault, a table per fault kind, and last:
#   fault lab: runs=... faults=... kinds=... split_brains=... lost_writes=... outages_over_bound=... max_outage_ms=...
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "fault lab: needs root (network namespaces, nftables, tgtd, loop devices); skipped" >&2
  exit 2
fi
[ "${1:-}" = faults ] && shift
. "$root/examples/shared-array/lib.sh"
run_driver org.tandemha.examples.lab.FaultLab "$@"
