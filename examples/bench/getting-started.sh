#!/usr/bin/env bash
# The README's "Getting started" as a new user meets it: a new Maven project outside the repository, made only of
# the files shown in that section (pom.xml importing org.tandemha:tandem-bom, cluster.yaml, Main.java,
# simplelogger.properties), built against the artifacts of this checkout and run as a two-node cluster on this
# machine. The artifacts are installed into a private local repository (a copy of ~/.m2/repository without
# org/tandemha), so the shared ~/.m2 is never written. Checks: the group starts on node1 and answers HTTP; node1
# stops (SIGTERM), node2 takes the group over and answers. Prints one line:
#   getting-started: install N s, build N s, web online on node1 after N ms, on node2 N ms after node1 stopped
# Needs python3 (the protected HTTP server) and free ports 7481, 7482 and 8480 on 127.0.0.1. No root.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
work="$(mktemp -d /tmp/tandem-getting-started.XXXXXX)"
pids=()
fail() { echo "getting-started: FAILED: $*" >&2; for f in "$work"/app/node*.log; do [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }
descendants() { local p c; for p in "$@"; do for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do echo "$c"; descendants "$c"; done; done; }
cleanup() {
  local kids=()
  if [ "${#pids[@]}" -gt 0 ]; then
    kids=($(descendants "${pids[@]}"))
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for _ in $(seq 1 50); do alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done; [ $alive = 0 ] && break; sleep 0.1; done
    for p in "${pids[@]}" "${kids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  fi
  if [ -n "${KEEP:-}" ]; then echo "getting-started: kept $work" >&2; rm -rf "$work/m2"; else rm -rf "$work"; fi
  rm -rf /tmp/hello-tandem
}
trap cleanup EXIT INT TERM
command -v python3 >/dev/null || fail "python3 is not installed (the getting-started cluster protects python3 -m http.server)"
for port in 8480; do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && fail "port $port on 127.0.0.1 is in use; stop what listens there"
done
[ -e /tmp/hello-tandem ] && fail "/tmp/hello-tandem exists (another run?); remove it first"

# 1. The artifacts of this checkout, into a private local repository.
repo="$work/m2"
mkdir -p "$repo"
tar -C "$HOME/.m2/repository" --exclude=./org/tandemha -cf - . | tar -C "$repo" -xf -
t0=$(date +%s)
mvnflags=(-B -ntp -q -Dmaven.repo.local="$repo")
offline=(-o)
build() { (cd "$ROOT" && mvn "${mvnflags[@]}" "${offline[@]}" install -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
  -Dtandem.target="$work/build/\${project.artifactId}" -pl '!examples' "$@"); }
build > "$work/install.log" 2>&1 || { offline=(); build > "$work/install.log" 2>&1; } || { tail -n 30 "$work/install.log" >&2; fail "mvn install of the checkout failed"; }
t1=$(date +%s)

# 2. The project, from the README's Getting started section only.
app="$work/app"
mkdir -p "$app"
python3 - "$ROOT/README.md" "$app" <<'PY'
import os, re, sys
readme, app = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
m = re.search(r"^## Getting started\n(.*?)(?=^## )", text, re.S | re.M)
if not m:
    sys.exit("README.md has no '## Getting started' section")
names = {}
for lang, body in re.findall(r"^```(\w+)\n(.*?)^```", m.group(1), re.S | re.M):
    first = body.split("\n", 1)[0]
    name = re.match(r"^(?:<!--|//|#)\s*([\w./-]+\.(?:xml|yaml|java|properties))\b", first)
    if name:
        path = os.path.join(app, name.group(1))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w", encoding="utf-8").write(body)
        names[name.group(1)] = True
need = ["pom.xml", "cluster.yaml", "src/main/java/hello/Main.java"]
missing = [n for n in need if n not in names]
if missing:
    sys.exit("README.md's Getting started does not show " + ", ".join(missing))
print("getting-started: files from README.md: " + ", ".join(sorted(names)))
PY
(cd "$app" && mvn "${mvnflags[@]}" "${offline[@]}" package > "$work/package.log" 2>&1) \
  || { tail -n 30 "$work/package.log" >&2; fail "the getting-started project does not build"; }
t2=$(date +%s)

# 3. The commands of the section, with bounded waits instead of sleeps.
cd "$app"
mkdir -p /tmp/hello-tandem
cp="target/classes:$(cat target/classpath.txt)"
now() { date +%s%3N; }
answers() { python3 -c 'import sys,urllib.request
try: sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:8480/", timeout=1).status == 200 else 1)
except Exception: sys.exit(1)'; }
start=$(now)
java -cp "$cp" hello.Main node1 > node1.log 2>&1 & pids+=($!)
java -cp "$cp" hello.Main node2 > node2.log 2>&1 & pids+=($!)
up=""
for _ in $(seq 1 300); do
  if answers && grep -q "\[node1\] RESOURCE_STARTED web/http" node1.log; then up=$(( $(now) - start )); break; fi
  kill -0 "${pids[0]}" 2>/dev/null || fail "node1 exited"
  sleep 0.1
done
[ -n "$up" ] || fail "group web did not come online on node1 within 30 s"
grep -q "\[node2\] RESOURCE_STARTED web/http" node2.log && fail "group web started on node2 as well"
for n in 1 2; do
  c=$(grep -c "RESOURCE_STARTED web/http" node$n.log || true)
  [ "$n" = 1 ] && [ "$c" != 1 ] && fail "node1 logged RESOURCE_STARTED $c times, not once"
done
stopped=$(now)
kill "${pids[0]}"
moved=""
for _ in $(seq 1 300); do
  if answers && grep -q "\[node2\] RESOURCE_STARTED web/http" node2.log; then moved=$(( $(now) - stopped )); break; fi
  sleep 0.1
done
[ -n "$moved" ] || fail "group web did not move to node2 within 30 s of node1 stopping"
wait "${pids[0]}" 2>/dev/null || true
echo "getting-started: install $((t1 - t0)) s, build $((t2 - t1)) s, web online on node1 after $up ms, on node2 $moved ms after node1 stopped"
echo "getting-started: node2's events: $(grep -oE '\[node2\] [A-Z_]+ web[^:]*' node2.log | tr '\n' ';' | cut -c1-300)"
