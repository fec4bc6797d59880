#!/usr/bin/env bash
# Heartbeat benchmark: detection time (kill -9 of the peer JVM to path-down), CPU and allocation of the heartbeat
# thread at 2 UDP paths on loopback, interval 100 ms, 3 misses; then detection under a CPU hog (one busy-loop process
# per core, normal priority, started and stopped by PID; the peer's heartbeats stopped by SIGSTOP) without and with
# `realtime: {priority: 10, policy: rr, lockMemory: true}` (rt=on needs root or CAP_SYS_NICE). Prints figures;
# asserts nothing.
#   examples/bench/run.sh heartbeat [trials=50] [steady-state seconds=10] [hog trials=50 (0: skip)]
#   examples/bench/run.sh heartbeat hog [trials=50]     only the CPU hog part
# Builds what it needs in the reactor (examples/bench/lib.sh); nothing has to be installed.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$ROOT"
# run.sh passes the benchmark's own name first
if [ "${1:-}" = heartbeat ]; then shift; fi
. "$ROOT/examples/bench/lib.sh"
cp="$(bench_cp ha-heartbeat)"
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" org.tandemha.heartbeat.HeartbeatBench "$@"
