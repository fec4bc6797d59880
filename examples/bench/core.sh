#!/usr/bin/env bash
# One node, 1,000 resources + one whose checks hang until their timeout, quick check every 1 s, deep every 10 s,
# for SECONDS (default 60); the same with `realtime: {checkPriority: 5}` (engine and check threads at SCHED_RR 5;
# needs root or CAP_SYS_NICE) for SECONDSRT (default SECONDS); then 10,000 resources for SECONDS10K (default 20).
# 0 skips a part. The window starts after 30 s of steady state (BENCH_SETTLE=SECONDS to change it); BENCH_JAVA_OPTS
# adds JVM options (e.g. the standalone daemon's: "-XX:+UseSerialGC -Xmn2m -XX:TieredStopAtLevel=1").
#   examples/bench/run.sh core [SECONDS] [RESOURCES] [SECONDS10K] [SECONDSRT]
# Prints: core checks: resources=1000 jitter p99=... ms max=... ms cpu=...% heap=... MB (and a detail line)
#         core checks rt: resources=1000 ...
#         core checks 10k: resources=10000 ...
set -euo pipefail
cd "${ROOT:?}"
. "$ROOT/examples/bench/lib.sh"
cp="$(bench_cp ha-core)"
[ "${1:-}" = core ] && shift
exec java -Xmx256m ${BENCH_JAVA_OPTS:-} ${BENCH_SETTLE:+-Dbench.settle=$BENCH_SETTLE} -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" org.tandemha.core.bench.CoreBench "$@"
