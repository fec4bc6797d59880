#!/usr/bin/env bash
# The replicated example cluster (issue 19, pure-software mode): two nodes in network namespaces, each with its own
# PostgreSQL 15 copy (no shared disk), group db promotable (pg replicated in sync mode, then the floating address
# 192.0.2.10 that follows the primary), a witness and a client in a third namespace that writes through the floating
# address all the time and records every commit PostgreSQL acknowledged. Needs root (namespaces, PostgreSQL run as
# the postgres user).
#
#   examples/replicated/run.sh [--scenario kill|kill-tandem|heartbeat|switchover|netcut|lost-together|lost-together-both|dr|quorum|all] [--runs N] [--bench]
#
#   kill         kill -9 of the primary's machine (its Tandem JVM and its PostgreSQL): the standby is promoted (the
#                PROMOTED event says the data at risk), the address follows; the old primary's machine comes back
#                and must rejoin as a standby (rewound with pg_rewind, or cloned again), never as a primary
#   kill-tandem  kill -9 of Tandem alone on the primary: its PostgreSQL runs on as a primary (its commits wait for
#                the standby that left it); the standby is promoted; Tandem restarted turns the old one into a standby
#   heartbeat    every heartbeat path cut (link down, public path off): the witness hears both nodes, nothing moves
#   switchover   a planned switchover to the standby: demote, then promote; the old primary streams from the new one
#   netcut       the primary's network cut (nftables drops every packet of its machine): it stands down, the standby
#                is promoted; back on the network the old primary rejoins as a standby
#   lost-together  (REPLICATED_MODE=async) the standby's machine killed, then the primary's: the old standby back
#                alone is not promoted (maxLagOnFailover: its lag is unknown); clear on the old primary brings it back
#   lost-together-both  (REPLICATED_MODE=async) the standby's machine killed, then the primary's; both started
#                together: the most advanced copy (second in the priority order) is promoted without an operator
#   quorum       three nodes in quorum mode (quorumCommit 1 of 2 standbys), in a cluster of its own: kill -9 of the
#                primary; the most advanced standby is promoted, 0 acknowledged writes lost
#   dr           the DR promotion, in a cluster of its own with a DR site (node3, 203.0.113.0/24, its own address
#                203.0.113.10): both primary-site machines killed; node3 waits for the operator; promote-dr shows the
#                data at risk, then --confirm --fence-primary-site promotes node3; the writes lost must be within the
#                lag shown, writes through the DR address must work; the site comes back as standbys, switchback home
#   all          every scenario above, one after the other (the default is kill)
# Every run checks: never two servers acknowledging writes as primaries, 0 acknowledged writes lost (read back from
# the new primary). With --runs N every scenario runs N times and a table is printed; --bench adds the figure line
# "replicated failover ms: p50=... p99=... lost_acknowledged=..." over the kill runs (examples/bench/run.sh replicated).
# REPLICATED_MODE=async runs the cluster in async mode with maxLagOnFailover: 16MB instead (losses are then allowed,
# and each kill run checks them against the seconds at risk the promotion reported).
# Ctrl-C stops everything: the nodes, their PostgreSQL servers, the witness, the client; namespaces and data removed.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;; esac
here="$(cd "$(dirname "$0")" && pwd)"
root="${ROOT:-$(cd "$here/../.." && pwd)}"
if [ "$(id -u)" != 0 ]; then
  echo "replicated: needs root (network namespaces, PostgreSQL run as the postgres user); run it with sudo" >&2
  exit 2
fi
command -v ip >/dev/null || { echo "replicated: ip not found; install iproute2" >&2; exit 2; }
ls /usr/lib/postgresql/*/bin/pg_rewind >/dev/null 2>&1 || { echo "replicated: PostgreSQL not installed (apt-get install postgresql)" >&2; exit 2; }
id postgres >/dev/null 2>&1 || { echo "replicated: no postgres user (apt-get install postgresql creates it)" >&2; exit 2; }
cd "$root"
. "$here/../shared-array/lib.sh"
run_driver org.tandemha.examples.replicated.ReplicatedMain --mode "${REPLICATED_MODE:-sync}" "$@"
