#!/usr/bin/env bash
# Runs every test of the project, as CI does. As root, it first installs from Debian's packages what the
# tests of the outside world need (tgtd, libiscsi, PostgreSQL, MariaDB, resource-agents incl. Pacemaker's, iproute2,
# nftables), and
# Chromium with its driver for the web console's browser tests.
# Tests that need root (namespaces, tgtd, mounts) skip with a clear message when run as another user.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;; esac
cd "$(dirname "$0")/.."
need=(tgt libiscsi7 libiscsi-bin sg3-utils postgresql mariadb-server resource-agents pacemaker-resource-agents kmod iproute2 nftables e2fsprogs util-linux procps chromium chromium-driver)
if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "test.sh: not root; tests that need root (network namespaces, tgtd, loop mounts) will skip"
fi
exec mvn -B -ntp verify "$@"
