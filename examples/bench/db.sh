#!/usr/bin/env bash
# db: kill -9 the database server, then time until the deep check passes again (quick check polled every 100 ms,
# one restart in place, deep check), 10 trials each for PostgreSQL and MariaDB. Needs root, PostgreSQL 15 and
# MariaDB installed; the servers run in a temp folder on free ports and are stopped at the end.
# Prints: db recovery ms: postgresql p50=... mariadb p50=...
set -euo pipefail
: "${ROOT:?ROOT must point at the repository root}"
cd "$ROOT"
# run.sh passes the benchmark name first
if [ "${1:-}" = db ]; then shift; fi
trials="${1:-10}"
. "$ROOT/examples/bench/lib.sh"
cp="$(bench_cp ha-agents-db)"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" org.tandemha.db.DbRecoveryBench "$trials"
