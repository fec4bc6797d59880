#!/usr/bin/env bash
# One node, 1,000 resources + one whose checks hang until their timeout, quick check every 1 s, deep every 10 s,
# for SECONDS (default 60); the same with `realtime: {checkPriority: 5}` (engine and check threads at SCHED_RR 5;
# needs root or CAP_SYS_NICE) for SECONDSRT (default SECONDS); then 10,000 resources for SECONDS10K (default 20).
# 0 skips a part. The window starts after 30 s of steady state (BENCH_SETTLE=SECONDS to change it). The 1,000
# resource parts run with the standalone daemon's collector and compiler (bin/tandem run: serial GC, small young
# generation, C1 only), as a node installed from the distribution does; BENCH_JAVA_OPTS replaces them
# (BENCH_JAVA_OPTS= for the JVM's defaults, G1 and C2, as an embedding application may run it). The 10,000 resource
# part runs in a second JVM with the JVM's defaults (BENCH_JAVA_OPTS_10K replaces them): under C1 alone, 10,000
# resources starting at once do not come online (their first checks time out; see CHANGELOG).
#   examples/bench/run.sh core [SECONDS] [RESOURCES] [SECONDS10K] [SECONDSRT]
# Prints: core checks: resources=1000 jitter p99=... ms max=... ms cpu=...% heap=... MB (and a detail line)
#         core checks rt: resources=1000 ...
#         core checks 10k: resources=10000 ...
set -euo pipefail
cd "${ROOT:?}"
. "$ROOT/examples/bench/lib.sh"
cp="$(bench_cp ha-core)"
[ "${1:-}" = core ] && shift
seconds="${1:-60}" resources="${2:-1000}" big="${3:-20}" rt="${4:-${1:-60}}"
common=(${BENCH_SETTLE:+-Dbench.settle=$BENCH_SETTLE} -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp"
  org.tandemha.core.bench.CoreBench)
if [ "$seconds" != 0 ] || [ "$rt" != 0 ]; then
  # shellcheck disable=SC2086 # the option list is split on purpose
  java -Xmx256m ${BENCH_JAVA_OPTS--XX:+UseSerialGC -Xmn2m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1} \
    "${common[@]}" "$seconds" "$resources" 0 "$rt"
fi
if [ "$big" != 0 ]; then
  # shellcheck disable=SC2086
  java -Xmx256m ${BENCH_JAVA_OPTS_10K:-} "${common[@]}" 0 "$resources" "$big" 0
fi
