#!/usr/bin/env bash
# ZooKeeper ownership benchmark, a real three-server ensemble (Curator's testing cluster) and Tandem nodes in one JVM:
# 200 random faults on 5 nodes (checks: never two owners whose writes were accepted, every group back in time),
# failover of a killed owner (session timeout 2 s), and 9 nodes with 500 groups (CPU, takeover of a killed node).
#   examples/bench/run.sh zookeeper [faults=200] [failovers=20] [steady-seconds=20] [scale-groups=500]
# Prints: zookeeper faults: ..., zookeeper failover ms: p50=... p99=..., zookeeper scale: nodes=9 groups=500 cpu=...% takeover_all_ms=...
# MVN_FLAGS (default "-q -B") is passed to Maven; add -o to stay offline. Nothing is installed into ~/.m2.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$ROOT"
if [ "${1:-}" = zookeeper ]; then shift; fi
flags=(${MVN_FLAGS:--q -B} -Dstyle.color=never)
cpfile="$ROOT/ha-zookeeper/target/bench-classpath.txt"
# the reactor builds ha-api and ha-core with it (no install); the last module to write the class path is ha-zookeeper
mvn "${flags[@]}" -pl ha-zookeeper -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$cpfile" >&2
cp="$ROOT/ha-zookeeper/target/test-classes:$ROOT/ha-zookeeper/target/classes:$ROOT/ha-core/target/classes:$ROOT/ha-api/target/classes:$(cat "$cpfile")"
exec java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=off -cp "$cp" org.tandemha.zookeeper.ZooKeeperBench "$@"
