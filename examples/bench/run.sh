#!/usr/bin/env bash
# The single entry point for the project's benchmarks. Each prints its figures; none is a timed test.
#   examples/bench/run.sh core        1,000 resources on one node: check jitter, CPU, heap
#   examples/bench/run.sh heartbeat   detection time, CPU and allocation of heartbeat paths
#   examples/bench/run.sh scsi        PREEMPT AND ABORT latency against tgtd
#   examples/bench/run.sh ip          floating address takeover time seen by a client
#   examples/bench/run.sh db          kill -9 to deep check passing again, PostgreSQL and MariaDB
#   examples/bench/run.sh failover    kill -9 of the active node to the first client request through the VIP (root)
#   examples/bench/run.sh daemon-crash  kill -9 of the holder's Tandem JVM alone: 20 trials, VIPs + witness (root)
#   examples/bench/run.sh faults [--faults N] [--seed S] [--cluster web|db|both]  the fault lab (root)
#   examples/bench/run.sh zookeeper [faults] [failovers]  200 faults on a real ensemble + 5 nodes, owner failover, 9 nodes x 250 groups
#   examples/bench/run.sh getting-started  the README's Getting started as a new project: build, two nodes, takeover
#   examples/bench/run.sh all         every benchmark above
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
what="${1:-}"
shift || true
run_one() {
  local name="$1"
  shift
  local script="$here/$name.sh"
  if [ ! -f "$script" ]; then
    echo "bench: no benchmark named '$name' yet (expected $script)" >&2
    return 2
  fi
  ROOT="$root" bash "$script" "$@"
}
case "$what" in
  all) for b in core heartbeat scsi ip db failover daemon-crash zookeeper; do [ -f "$here/$b.sh" ] && run_one "$b"; done ;;
  ""|-h|--help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) run_one "$what" "$@" ;;
esac
