#!/usr/bin/env bash
# One node, 1,000 resources, quick check every 1 s, deep every 10 s, for SECONDS (default 60).
# Prints: core checks: resources=1000 jitter p99=... ms cpu=...% heap=... MB
set -euo pipefail
cd "${ROOT:?}"
cpfile="$(mktemp)"
trap 'rm -f "$cpfile"' EXIT
mvn -q -B -ntp -pl ha-api,ha-core install -DskipTests
mvn -q -B -ntp -pl ha-core dependency:build-classpath -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >/dev/null
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "ha-core/target/test-classes:ha-core/target/classes:$(cat "$cpfile")" org.tandemha.core.bench.CoreBench "${1:-60}"
