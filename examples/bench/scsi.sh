#!/usr/bin/env bash
# SCSI benchmark: two nodes race to PREEMPT (AND ABORT) each other's key on a private tgtd (loopback iSCSI, file-
# backed LUN, user-space initiator libiscsi), 100 rounds; prints "scsi preempt ms: p50=... p99=..." for the winner's
# arbiter call, and the bare PR OUT command latency. Needs root, tgt (tgtd, tgtadm) and libiscsi7. Asserts nothing.
#   examples/bench/run.sh scsi [rounds=100]
# Builds what it needs in the reactor (examples/bench/lib.sh); nothing has to be installed.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$ROOT"
# run.sh passes the benchmark's own name first
if [ "${1:-}" = scsi ]; then shift; fi
if [ "$(id -u)" != 0 ]; then
  echo "scsi bench: needs root (it starts a private tgtd on 127.0.0.1)" >&2
  exit 2
fi
for bin in /usr/sbin/tgtd /usr/sbin/tgtadm; do
  [ -x "$bin" ] || { echo "scsi bench: $bin missing: apt-get install tgt" >&2; exit 2; }
done
. "$ROOT/examples/bench/lib.sh"
cp="$(bench_cp ha-scsi)"
exec java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" org.tandemha.scsi.ScsiBench "${1:-100}"
