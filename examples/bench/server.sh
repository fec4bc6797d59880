#!/usr/bin/env bash
# The standalone node's idle cost: bin/tandem run of the distribution (ha-server/target/tandem-VERSION), node1 of a
# two-node cluster on 127.0.0.1 with two UDP heartbeat paths and one VIP-sized group, its peer node2 running too.
# A VIP needs root and a network namespace; the group's one resource is a process resource of the same size
# (one resource, one quick check) standing in for it.
# Prints: server idle: rss=... MB cpu=...% threads=... tandem_threads=... startup=... ms cli=... ms load=...
#         server idle cpu by thread: NAME=...% (the six busiest, over the idle period)
#   startup: from exec of bin/tandem run to the node's "running" line (configuration read, lock, heartbeats, API),
#            on a second start (the first writes bin/tandem's class archive; its time is printed too)
#   cpu:     node1's CPU time over the idle period (IDLE_SECONDS, default 60) as a share of one core
#   rss:     node1's resident memory at the end of the idle period; threads: its thread count then,
#            tandem_threads: those not the JVM's own (GC, JIT, reference handling...); load: the 1-min load average
#   cli:     wall time of bin/tandem status against node1 (median of 5 calls)
# Then node1 stops and runs again embedded in a plain JVM (the library, Tandem.builder(); node2 still runs):
#         embedded node: heap=+... MB before=... after=... (live heap after full collections, before the node is
#         built and after EMBEDDED_IDLE_SECONDS (default 20) with its group online)
set -euo pipefail
root="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
idle="${IDLE_SECONDS:-60}"
# The distribution is built every time (in the reactor, nothing installed), so that the figure is of this tree.
echo "server bench: building the distribution (mvn -pl ha-server -am package -DskipTests)..." >&2
(cd "$root" && { mvn ${MVN_FLAGS:--q -B -ntp} -o -pl ha-server -am package -DskipTests >/dev/null 2>&1 ||
  mvn ${MVN_FLAGS:--q -B -ntp} -pl ha-server -am package -DskipTests >&2; })
dist=$(ls -d "$root"/ha-server/target/tandem-*/ | head -n 1)
tandem="${dist}bin/tandem"
work=$(mktemp -d /tmp/tandem-bench-server.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' "$1"; }
h1=$(free_port SOCK_DGRAM); h2=$(free_port SOCK_DGRAM); b1=$(free_port SOCK_DGRAM); b2=$(free_port SOCK_DGRAM)
api1=$(free_port SOCK_STREAM); api2=$(free_port SOCK_STREAM)
cat > "$work/bench.yaml" <<YAML
cluster: bench
key: "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
nodes:
  - {id: node1, addresses: {heartbeat: "127.0.0.1:$h1", backup: "127.0.0.1:$b1"}}
  - {id: node2, addresses: {heartbeat: "127.0.0.1:$h2", backup: "127.0.0.1:$b2"}}
paths:
  - {name: heartbeat, transport: udp, priority: 1, interval: 200ms, misses: 5}
  - {name: backup, transport: udp, priority: 2, interval: 500ms, misses: 5}
quorum: {twoNodeWithoutArbiter: true}
timing: {startupWait: 2s}
groups:
  - id: vip
    nodes: [node1, node2]
    resources:
      - {id: address, type: process, params: {command: [sleep, "2147483647"], stopGrace: 1s}}
YAML

now_ms() { date +%s%3N; }
export XDG_CACHE_HOME="$work/cache"   # bin/tandem's class archives, written by a first run
wait_running() { # $1 log, $2 pid: waits for the node's "running" line (at most 6 s)
  for _ in $(seq 1 600); do
    grep -q "running (pid" "$1" && return 0
    kill -0 "$2" 2>/dev/null || { cat "$1" >&2; echo "server bench: the node exited" >&2; exit 1; }
    sleep 0.01
  done
  echo "server bench: the node did not start within 6 s" >&2; cat "$1" >&2; exit 1
}
# A first start and stop writes the class archive that later starts use (a restart of an installed node). Like an
# installed node's earlier run, it runs until it is in service (its group started, an operator's status answered)
# before it stops: the archive holds the classes of a node at work, not only those of its first second.
t0=$(now_ms)
"$tandem" run --config "$work/bench.yaml" --node node1 --state-dir "$work/node1" --listen "127.0.0.1:$api1" >"$work/first.log" 2>&1 &
first=$!
wait_running "$work/first.log" "$first"
first_startup=$(( $(now_ms) - t0 ))
for _ in $(seq 1 150); do grep -q "RESOURCE_STARTED" "$work/first.log" && break; sleep 0.1; done
"$tandem" status --state-dir "$work/node1" >/dev/null 2>&1 || true
kill -TERM "$first"; wait "$first" || true

t0=$(now_ms)
"$tandem" run --config "$work/bench.yaml" --node node1 --state-dir "$work/node1" --listen "127.0.0.1:$api1" >"$work/node1.log" 2>&1 &
n1=$!
pids+=("$n1")
wait_running "$work/node1.log" "$n1"
startup=$(( $(now_ms) - t0 ))
"$tandem" run --config "$work/bench.yaml" --node node2 --state-dir "$work/node2" --listen "127.0.0.1:$api2" >"$work/node2.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 300); do grep -q "RESOURCE_STARTED" "$work/node1.log" && break; sleep 0.1; done
sleep 5 # settle: JIT and the first checks

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# per thread: "tid name ticks" (the name from comm; numbers at the end dropped when grouping)
thread_ticks() { for t in /proc/"$1"/task/*; do printf '%s %s %s\n' "${t##*/}" "$(tr ' ' '_' < "$t/comm")" \
  "$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13, $12, $13}') $(cut -d' ' -f1 "$t/schedstat")"; done 2>/dev/null; }
thread_ticks "$n1" > "$work/threads0"
c0=$(cpu_ticks "$n1"); w0=$(now_ms)
sleep "$idle"
c1=$(cpu_ticks "$n1"); w1=$(now_ms)
thread_ticks "$n1" > "$work/threads1"
# Tandem's own threads: every thread but the JVM's (GC, JIT, signal, reference handling, finalizer, cleaners)
jvm_re='^(java|GC_Thread|VM_Thread|VM_Periodic_Tas|Reference_Handl|Finalizer|Signal_Dispatch|Service_Thread|Monitor_Deflati|C1_CompilerThre|C2_CompilerThre|Common-Cleaner|Notification_Th|Sweeper_thread|process_reaper.*|Attach_Listener|G1_.*|VM_.*|DestroyJavaVM|Thread-[0-9]+)$'
own=$(awk '{print $2}' "$work/threads1" | grep -cvE "$jvm_re" || true)
# by thread, from schedstat (nanoseconds on the CPU; the ticks of /proc/PID/stat are too coarse for a thread that
# wakes for a few microseconds at a time)
by_thread=$(awk -v w="$idle" 'NR==FNR {a[$1]=$6; next} {d=$6-a[$1]; n=$2; sub(/-?[0-9]+$/, "", n); s[n]+=d}
  END {for (n in s) if (s[n] > 0) printf "%s=%.3f%%\n", n, 100*s[n]/1e9/w}' "$work/threads0" "$work/threads1" | sort -t= -k2 -rn | head -6 | tr '\n' ' ')
precise=$(awk -v w="$idle" 'NR==FNR {a[$1]=$6; next} {s+=$6-a[$1]} END {printf "%.2f", 100*s/1e9/w}' "$work/threads0" "$work/threads1")
kernel=$(awk -v w="$idle" -v t="$(getconf CLK_TCK)" 'NR==FNR {a[$1]=$5; next} {s+=$5-a[$1]} END {printf "%.2f", 100*s/t/w}' \
  "$work/threads0" "$work/threads1")
echo "server bench: threads of node1: $(awk '{print $2}' "$work/threads1" | sed 's/-\?[0-9]*$//' | sort | uniq -c | awk '{printf "%s%s ", $2, ($1>1?"x"$1:"")}')" >&2
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$n1/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$n1/status")
cpu=$(awk -v c="$((c1 - c0))" -v t="$tck" -v w="$((w1 - w0))" 'BEGIN {printf "%.2f", 100 * (c / t) / (w / 1000)}')

times=()
cli_ok=0
for _ in 1 2 3 4 5; do
  s=$(now_ms)
  if "$tandem" status --state-dir "$work/node1" >"$work/cli.out" 2>&1; then cli_ok=$((cli_ok + 1)); fi
  times+=($(( $(now_ms) - s )))
done
cli=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
if [ "$cli_ok" -lt 5 ]; then
  echo "server bench: note: tandem status failed ($((5 - cli_ok)) of 5): $(head -c 300 "$work/cli.out")" >&2
fi
# The JVM options node1 runs with, as its process got them (bin/tandem's daemon_opts, the options it adds on
# condition, the class archive, TANDEM_JAVA_OPTS): its command line up to the class path.
jvm_opts=$(tr '\0' '\n' < "/proc/$n1/cmdline" | sed -n '2,$p' | sed '/^-cp$/,$d' | tr '\n' ' ')
echo "server bench: first start (writes the class archive) ${first_startup} ms; node1 pid $n1, idle ${idle} s; JVM (bin/tandem run): ${jvm_opts% }"
printf 'server idle: rss=%d MB cpu=%s%% threads=%s tandem_threads=%s startup=%s ms cli=%s ms load=%s\n' "$((rss_kb / 1024))" \
  "$cpu" "$threads" "$own" "$startup" "$cli" "$(cut -d' ' -f1 /proc/loadavg)"
echo "server idle cpu by thread: $by_thread(all threads by schedstat: $precise%; kernel by ticks: $kernel%)"

# The embedded node: node1 again, built by the library in a plain JVM (what an application embedding Tandem runs).
kill -TERM "$n1" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$n1" 2>/dev/null || break; sleep 0.1; done
. "$root/examples/bench/lib.sh"
ecp=$(ROOT="$root" bench_cp ha-server)
java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$ecp" org.tandemha.server.bench.EmbeddedHeapBench \
  "$work/bench.yaml" node1 "$work/node1" "${EMBEDDED_IDLE_SECONDS:-20}" >"$work/embedded.log" 2>&1 || true
grep '^embedded node: ' "$work/embedded.log" || { echo "server bench: the embedded node did not report:" >&2; tail -20 "$work/embedded.log" >&2; }
