# Shared by shared-array/run.sh and bench/failover.sh (sourced; needs $root).
# run_driver MAIN ARGS...: builds the examples and the modules they need (test-compile: ha-heartbeat needs ha-core's
# test classes in the reactor, not installed), then runs the Java driver MAIN in the
# background with the classpath the node JVMs get too. On exit, Ctrl-C or TERM the driver gets TERM (its shutdown
# hook removes namespaces, tgtd, loop devices and nodes), then KILL after 20 s.
run_driver() {
  local main="$1"
  shift
  cpfile="$(mktemp)"
  pid=""
  cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$cpfile"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  build() {
    (cd "$root" && mvn ${MVN_FLAGS:--q -B -ntp} "$@" -pl examples -am test-compile dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null)
  }
  build -o 2>/dev/null || build
  local cp="$root/examples/target/classes:$(cat "$cpfile")"
  java -cp "$cp" "$main" --classpath "$cp" "$@" &
  pid=$!
  wait "$pid"
}
