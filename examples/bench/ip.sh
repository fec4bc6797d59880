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
ROOT="$root"
. "$root/examples/bench/lib.sh"
cp="$(bench_cp ha-ip)"
# run.sh passes the benchmark name first
[ "${1:-}" = ip ] && shift
cd ha-ip
exec java -cp "$cp" org.tandemha.ip.IpTakeoverBench "$@"
