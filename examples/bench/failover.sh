#!/usr/bin/env bash
# failover: kill -9 of the active node's whole process tree to the first successful client request through the
# floating address, in network namespaces (needs root, tgt, PostgreSQL). Heartbeat 100 ms x 3 misses on two paths,
# SCSI arbiter on a tgtd LUN. 20 trials for "floating address + HTTP service", 20 for "volume + PostgreSQL +
# floating address", then the RSS and CPU of a node running one group, over 60 s.
# Prints: failover ms: p50=... p99=... max=...
#         db failover ms: p50=... p99=... max=...
#         idle node: rss=... MB, cpu=...%
# Options: --trials N --db-trials N --idle SECONDS (progress goes to stderr; logs stay in /tmp/tandem-sa*).
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "failover bench: needs root (it creates network namespaces, runs tgtd and mounts a loop device); skipped" >&2
  exit 2
fi
# run.sh passes the benchmark name first
[ "${1:-}" = failover ] && shift
cpfile="$(mktemp)"
pgcp="$(mktemp)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$cpfile" "$pgcp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
build() {
  mvn -q -B "$@" -pl examples compile dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
  mvn -q -B "$@" -pl ha-agents-db dependency:build-classpath -Dmdep.outputFile="$pgcp" -Dmdep.includeScope=test >/dev/null
}
build -o 2>/dev/null || build
pg="$(tr ':' '\n' < "$pgcp" | grep '/postgresql-[0-9][^/]*\.jar$' | head -1)"
cp="$root/examples/target/classes:$(cat "$cpfile"):$pg"
java -cp "$cp" org.tandemha.examples.sharedarray.FailoverBench --classpath "$cp" "$@" &
pid=$!
wait "$pid"
