#!/usr/bin/env bash
# The Tandem demo: a two-node cluster on this machine and a failover, no root needed.
#   scripts/demo.sh           the live status table, every event with its reasons and timings (about 20 s)
#   scripts/demo.sh --quiet   only the summary line: demo: failover in N ms, switchover in M ms, no split brain
# Two node JVMs on 127.0.0.1, two UDP heartbeat paths, the disk lease of ha-scsi on a plain file as the safety
# check, and a small HTTP service as a user-defined resource (org.tandemha.examples.demo). Everything it starts
# or writes is removed when it ends, also on Ctrl-C.
# The first run builds the modules it needs with mvn (on a fresh machine Maven downloads its plugins and
# dependencies first: a few minutes); later runs build again only when a source file changed.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;; esac
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
target="$root/examples/target"
marker="$target/.demo-built"
find_jar() { ls "$target"/examples-*.jar 2>/dev/null | grep -v -e '-tests\.jar$' -e '-sources\.jar$' | head -n 1 || true; }

if ! command -v java >/dev/null 2>&1; then
  echo "demo: java is not on the PATH; install a JDK 17 or later (e.g. apt-get install openjdk-17-jdk-headless)" >&2
  exit 2
fi
stale=
if [ -z "$(find_jar)" ] || [ ! -s "$target/runtime.classpath" ] || [ ! -f "$marker" ]; then
  stale=yes
elif [ -n "$(find "$root" -path "$root/*/target" -prune -o \( -path '*/src/main/*' -o -name pom.xml \) -newer "$marker" -print -quit)" ]; then
  stale=yes
fi
if [ -n "$stale" ]; then
  if ! command -v mvn >/dev/null 2>&1; then
    echo "demo: mvn is not on the PATH; install Maven 3.8 or later (e.g. apt-get install maven)" >&2
    exit 2
  fi
  echo "demo: building the examples and the modules they need with mvn (quiet; the first build takes a few minutes)..." >&2
  # (the sed drops the bare color resets some Maven builds print even when quiet)
  if ! (cd "$root" && mvn -q -B -Dstyle.color=never -pl examples -am package -DskipTests 2>&1 | sed 's/\x1b\[0m//g') >&2; then
    echo "demo: the build failed (see above); try: cd $root && mvn -pl examples -am package -DskipTests" >&2
    exit 2
  fi
  touch "$marker"
fi
exec java -cp "$(find_jar):$(cat "$target/runtime.classpath")" org.tandemha.examples.demo.Demo "$@"
