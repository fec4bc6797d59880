#!/usr/bin/env bash
# One node, 1,000 resources, quick check every 1 s, deep every 10 s, for SECONDS (default 60).
set -euo pipefail
cd "${ROOT:?}"
mvn -q -B -ntp -pl ha-api,ha-core install -DskipTests
cp=$(mvn -q -B -ntp -pl ha-core dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)
exec java -Xmx256m -cp "ha-core/target/test-classes:ha-core/target/classes:$cp" org.tandemha.core.bench.CoreBench "${1:-60}"
