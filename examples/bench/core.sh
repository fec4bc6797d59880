#!/usr/bin/env bash
# One node, 1,000 resources, quick check every 1 s, deep every 10 s, for SECONDS (default 60).
# Prints: core checks: resources=1000 jitter p99=... ms cpu=...% heap=... MB
set -euo pipefail
cd "${ROOT:?}"
. "$ROOT/examples/bench/lib.sh"
cp="$(bench_cp ha-core)"
[ "${1:-}" = core ] && shift
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" org.tandemha.core.bench.CoreBench "$@"
