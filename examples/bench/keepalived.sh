#!/usr/bin/env bash
# keepalived: Tandem against keepalived in one namespace lab (needs root, tgt, keepalived: installed from Debian by
# this script if missing; Debian's policy-rc.d or a missing /etc/keepalived/keepalived.conf keeps the package's own
# service from starting). Two nodes, a client, a floating address 192.0.2.50; a whole-server crash is kill -9 of the
# daemon (Tandem's JVM, or keepalived's processes) plus the node's public link down at the switch; the client sends a
# UDP datagram to the address every 2 ms and the failover time runs from the kill to the survivor's first answer.
# keepalived: VRRPv3, advert_int 0.1 s, unicast peers, its configuration and pid files in the run's folder, started
# in the node namespaces only and stopped by PID. Tandem: 100 ms x 3 on two paths, tiebreaker + witness, then
# tiebreaker + scsi (tgtd LUN over libiscsi); each after a block of keepalived trials at the same load.
# Prints, per configuration: failover vs keepalived: config=... tandem_median=... keepalived_median=... ratio=...
#                            tandem_p99=... keepalived_p99=..., and the Tandem breakdown from the survivor's events.
# Options: --trials N (20 per system and configuration by default) --configs witness,scsi --array-priority P (tgtd,
# the array, at SCHED_FIFO P: 10 by default, a storage box of its own; 0: normal priority)
# (progress goes to stderr; logs stay in /tmp/tandem-sa*, keepalived's under keepalived/).
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
[ "${1:-}" = keepalived ] && shift
if [ "$(id -u)" != 0 ]; then
  echo "keepalived bench: needs root (it creates network namespaces, runs tgtd and keepalived); skipped" >&2
  exit 2
fi
for bin in /usr/sbin/tgtd /usr/sbin/tgtadm; do
  [ -x "$bin" ] || { echo "keepalived bench: $bin missing: apt-get install tgt" >&2; exit 2; }
done
if ! command -v keepalived >/dev/null 2>&1; then
  echo "keepalived bench: installing keepalived from Debian" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived >/dev/null \
      || { echo "keepalived bench: cannot install keepalived (apt-get install keepalived failed)" >&2; exit 2; }
  fi
fi
echo "keepalived bench: $(keepalived --version 2>&1 | head -1)" >&2
. "$root/examples/shared-array/lib.sh"
run_driver org.tandemha.examples.sharedarray.KeepalivedBench "$@"
