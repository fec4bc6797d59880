#!/usr/bin/env bash
# properties: the engine's simulation properties (EngineProperties, FaultProperties, LeaseProperties,
# PromotableProperties) with random seeds. `mvn verify` runs them with a fixed seed, so that CI decides the same way
# every time; this runs them ROUNDS times (default 3) with fresh seeds, on a copy of the sources (the checkout is not
# touched), and prints every failing sample's seed and schedule. Simulated time: no root, about 40 s a round.
# Prints last:  properties random: rounds=... properties=... failures=...
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "${1:-}" = properties ] && shift
rounds="${1:-3}"
case "$rounds" in ''|*[!0-9]*) echo "properties: ROUNDS must be a number, got '$rounds'" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$rounds" -le 50 ] || { echo "properties: ROUNDS must be 1..50, got $rounds" >&2; exit 2; }
work="$(mktemp -d /tmp/tandem-properties.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# a copy of the tracked sources, with the properties' fixed seeds taken out
(cd "$root" && git ls-files -z | tar --null -T - -cf -) | (cd "$work" && tar -xf -)
classes=(EngineProperties FaultProperties LeaseProperties PromotableProperties)
for c in "${classes[@]}"; do
  sed -i 's/, seed = "[0-9-]*")/)/; s/seed = "[0-9-]*", //' "$work/ha-core/src/test/java/org/tandemha/core/sim/$c.java"
done
flags=(${MVN_FLAGS:--q -B -ntp} -Dstyle.color=never -Djacoco.skip=true -Dsurefire.failIfNoSpecifiedTests=false
  "-Dtest=$(IFS=,; echo "${classes[*]}")")
failures=0
props=0
for r in $(seq 1 "$rounds"); do
  log="$work/round$r.log"
  rc=0
  (cd "$work" && mvn "${flags[@]}" -o -pl ha-core -am verify > "$log" 2>&1) || rc=$?
  reports="$work/ha-core/target/surefire-reports"
  n=$(grep -ho 'tries = [0-9]*' "$reports"/*Properties-output.txt 2>/dev/null | wc -l || true)
  props=$((props + n))
  if [ "$rc" != 0 ]; then
    failures=$((failures + 1))
    echo "properties: round $r failed; the failing samples (paste a schedule into a regression test):" >&2
    grep -h -A30 'Property \[\|seed = ' "$reports"/*Properties.txt "$reports"/*Properties-output.txt 2>/dev/null \
      | grep -E 'seed = |nodes=|^\s+\+[0-9]+ms' | head -60 >&2 || tail -40 "$log" >&2
    mkdir -p "$root/target" && cp -r "$reports" "$root/target/properties-round$r" && \
      echo "properties: reports kept in $root/target/properties-round$r" >&2
  else
    echo "properties: round $r passed (seeds: $(grep -hoE 'seed = -?[0-9]+' "$reports"/*Properties-output.txt | sed 's/seed = //' | tr '\n' ' '))" >&2
  fi
done
echo "properties random: rounds=$rounds properties=$props failures=$failures"
[ "$failures" = 0 ]
