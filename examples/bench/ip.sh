#!/usr/bin/env bash
# Floating address takeover time seen by a client, in network namespaces (needs root).
# Prints: ip takeover ms: p50=... p99=...
# Arguments (optional): trials (default 100), probe true|false (default true).
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "ip bench: needs root (it creates network namespaces); skipped" >&2
  exit 2
fi
cpfile="$(mktemp)"
trap 'rm -f "$cpfile"' EXIT
build() { mvn -q -B "$@" test-compile dependency:build-classpath -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >/dev/null; }
# ha-ip alone (ha-api and ha-core from the local repository), offline first; else build them in the reactor.
build -o -pl ha-ip 2>/dev/null || build -pl ha-ip 2>/dev/null || build -pl ha-ip -am
# run.sh passes the benchmark name first
[ "${1:-}" = ip ] && shift
cd ha-ip
exec java -cp "target/classes:target/test-classes:$(cat "$cpfile")" org.tandemha.ip.IpTakeoverBench "$@"
