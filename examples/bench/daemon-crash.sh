#!/usr/bin/env bash
# daemon-crash: kill -9 of the Tandem JVM alone on the node holding the floating addresses (its kernel keeps them,
# a service on the node keeps answering), in network namespaces (needs root; no array). Heartbeat 100 ms x 3 misses
# on two paths (a direct veth and the public bridge), arbiters tiebreaker + witness (on the client's address), one
# group holding an IPv4 and an IPv6 address. Each trial: the client must reach the survivor through both addresses;
# the killed node is started again and must remove the stale addresses; the next trial kills the other node.
# Prints: daemon crash: passed=P/N
#         daemon crash ipv4 ms: p50=... p99=... max=...
#         daemon crash ipv6 ms: p50=... p99=... max=...
# Options: --daemon-crash N (20 by default; progress goes to stderr; logs stay in /tmp/tandem-sa*).
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "daemon-crash bench: needs root (it creates network namespaces); skipped" >&2
  exit 2
fi
[ "${1:-}" = daemon-crash ] && shift
[ $# -eq 0 ] && set -- --daemon-crash 20
. "$root/examples/shared-array/lib.sh"
run_driver org.tandemha.examples.sharedarray.FailoverBench "$@"
