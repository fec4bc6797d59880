#!/usr/bin/env bash
# Heartbeat benchmark: detection time (kill -9 of the peer JVM to path-down), CPU and allocation of the heartbeat
# thread at 2 UDP paths on loopback, interval 100 ms, 3 misses. Prints figures; asserts nothing.
#   examples/bench/run.sh heartbeat [trials=50] [steady-state seconds=10]
# Builds what it needs in the reactor (examples/bench/lib.sh); nothing has to be installed.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$ROOT"
# run.sh passes the benchmark's own name first
if [ "${1:-}" = heartbeat ]; then shift; fi
. "$ROOT/examples/bench/lib.sh"
cp="$(bench_cp ha-heartbeat)"
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" org.tandemha.heartbeat.HeartbeatBench "$@"
