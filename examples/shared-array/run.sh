#!/usr/bin/env bash
# The shared-array example cluster: two nodes, a shared array (tgtd iSCSI LUN for the SCSI-3 reservation and the
# disk heartbeat, a loop-device ext4 volume), PostgreSQL on node1 behind VIP1, an HTTP service on node2 behind VIP2
# that writes to PostgreSQL through VIP1, and a client. Needs root (network namespaces, tgtd, loop devices, mounts).
#
#   examples/shared-array/run.sh [--scenario kill|kill-app|sigstop|public|partition|isolate|switchover|all] [--runs N]
#
#   kill        kill -9 of node1's whole process tree: its group moves to node2, no acknowledged write is lost
#   kill-app    kill -9 of node2's whole process tree: the application group moves to node1, next to the database
#   sigstop     node1 frozen past the takeover deadline, then resumed: db moves, node1 finds itself fenced, stands down
#   public      node1's public link cut: its floating address fails its check, the group moves to node2
#   partition   every network heartbeat link cut while both nodes run: the disk heartbeat keeps the groups in place
#   isolate     node1 cut off from every network: node2's tie-breaker probe answers, its SCSI preempt wins, db moves
#   switchover  a planned switchover of db to node2, then the administrator's switchback to node1
#   all         every scenario above, one after the other
# With --runs N every scenario runs N times and a table is printed (the end-to-end fault suite).
# Ctrl-C stops everything: the nodes, the client, tgtd, and removes namespaces and the loop device.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;; esac
here="$(cd "$(dirname "$0")" && pwd)"
root="${ROOT:-$(cd "$here/../.." && pwd)}"
if [ "$(id -u)" != 0 ]; then
  echo "shared-array: needs root (network namespaces, tgtd, loop devices, mounts); run it with sudo" >&2
  exit 2
fi
for tool in tgtd tgtadm losetup mkfs.ext4 unshare; do
  command -v "$tool" >/dev/null || { echo "shared-array: $tool not found; install tgt, util-linux, e2fsprogs" >&2; exit 2; }
done
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { echo "shared-array: PostgreSQL not installed (apt-get install postgresql)" >&2; exit 2; }
cd "$root"
. "$here/lib.sh"
run_driver org.tandemha.examples.sharedarray.SharedArrayMain "$@"
