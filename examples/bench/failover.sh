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
. "$root/examples/shared-array/lib.sh"
run_driver org.tandemha.examples.sharedarray.FailoverBench "$@"
