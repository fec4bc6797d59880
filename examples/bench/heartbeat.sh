#!/usr/bin/env bash
# Heartbeat benchmark: detection time (kill -9 of the peer JVM to path-down), CPU and allocation of the heartbeat
# thread at 2 UDP paths on loopback, interval 100 ms, 3 misses. Prints figures; asserts nothing.
#   examples/bench/run.sh heartbeat [trials=50] [steady-state seconds=10]
# MVN_FLAGS (default "-q -B") is passed to Maven; add -o to stay offline. ha-api and ha-core must be installed
# (mvn -q install -pl ha-api,ha-core -DskipTests) as for any single-module build.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$ROOT"
# run.sh passes the benchmark's own name first
if [ "${1:-}" = heartbeat ]; then shift; fi
flags=(${MVN_FLAGS:--q -B} -Dstyle.color=never)
mvn "${flags[@]}" -pl ha-heartbeat test-compile >&2
cpfile="$ROOT/ha-heartbeat/target/bench-classpath.txt"
mvn "${flags[@]}" -pl ha-heartbeat dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" >/dev/null
cp="$ROOT/ha-heartbeat/target/test-classes:$ROOT/ha-heartbeat/target/classes:$(cat "$cpfile")"
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" org.tandemha.heartbeat.HeartbeatBench "$@"
