#!/usr/bin/env bash
# The single entry point for the project's benchmarks. Each prints its figures; none is a timed test.
#   examples/bench/run.sh core        1,000 resources on one node: check jitter, CPU, heap
#   examples/bench/run.sh heartbeat   detection time, CPU and allocation of heartbeat paths; detection under a CPU hog
#                                     with and without the realtime settings (`heartbeat hog` for that part alone)
#   examples/bench/run.sh scsi        PREEMPT AND ABORT latency against tgtd
#   examples/bench/run.sh ip          floating address takeover time seen by a client
#   examples/bench/run.sh db          kill -9 to deep check passing again, PostgreSQL and MariaDB
#   examples/bench/run.sh failover    kill -9 of the active node to the first client request through the VIP (root)
#   examples/bench/run.sh daemon-crash  kill -9 of the holder's Tandem JVM alone: 20 trials, VIPs + witness (root)
#   examples/bench/run.sh keepalived [--trials N]  Tandem (witness; SCSI) against keepalived (VRRPv3, advert 0.1 s) in
#                                  one lab: whole-server crash to the client's first answer through the VIP (root)
#   examples/bench/run.sh replicated [N]  kill -9 of the PostgreSQL primary's machine, sync mode: N trials (20), (root)
#   examples/bench/run.sh properties [ROUNDS]  the engine's simulation properties with random seeds (3 rounds)
#   examples/bench/run.sh faults [--faults N] [--seed S] [--cluster web|db|both]  the fault lab (root)
#   examples/bench/run.sh server      a standalone node (bin/tandem run) idle: rss, CPU, threads, startup, a CLI call
#   examples/bench/run.sh zookeeper [faults] [failovers]  200 faults on a real ensemble + 5 nodes, owner failover, 9 nodes x 500 groups
#   examples/bench/run.sh getting-started  the README's Getting started as a new project: build, two nodes, takeover
#   examples/bench/run.sh all         every benchmark above but the fault lab, then one table of all their figures
# Each builds what it needs in the reactor (examples/bench/lib.sh): a clean clone with nothing of Tandem's in the
# local Maven repository runs them all. MVN_FLAGS (default "-q -B -ntp") go to Maven. BENCH_ALL="core heartbeat"
# narrows `all` to those benchmarks (same table).
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
  all)
    # Every benchmark's standard output goes to the terminal and to a file; its figure lines ("name: figures")
    # are gathered into one table at the end, with the machine's load average when each benchmark ended.
    out="$(mktemp -d /tmp/tandem-bench-all.XXXXXX)"
    list="${BENCH_ALL:-core heartbeat scsi ip db server failover daemon-crash keepalived replicated zookeeper}"
    for b in $list; do
      [ -f "$here/$b.sh" ] || continue
      echo "== bench $b ($(date -u +%H:%M:%S), load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      rc=0
      run_one "$b" | tee "$out/$b.out" || rc=$?
      echo "$rc $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/$b.rc"
    done
    echo
    printf '%-13s %-9s %-15s %s\n' benchmark status load figures
    for b in $list; do
      [ -f "$out/$b.rc" ] || continue
      read -r rc l1 l5 l15 < "$out/$b.rc"
      case "$rc" in 0) st=ok ;; 2) st=skipped ;; *) st="failed($rc)" ;; esac
      first=1
      while IFS= read -r line; do
        if [ "$first" = 1 ]; then printf '%-13s %-9s %-15s %s\n' "$b" "$st" "$l1 $l5 $l15" "$line"; first=0
        else printf '%-13s %-9s %-15s %s\n' "" "" "" "$line"; fi
      done < <(grep -E '^[a-z][A-Za-z0-9 ._/-]*: ' "$out/$b.out" | grep -vE '^(server bench|bench): ' || true)
      [ "$first" = 1 ] && printf '%-13s %-9s %-15s %s\n' "$b" "$st" "$l1 $l5 $l15" "(no figures)"
    done
    rm -rf "$out"
    ;;
  ""|-h|--help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) run_one "$what" "$@" ;;
esac
