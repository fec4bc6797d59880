# Sourced by the benchmark scripts (needs $ROOT). Builds what a benchmark needs in the reactor, never with
# `mvn install`, so that a clean clone with nothing of Tandem's in the local Maven repository runs every benchmark.
#   bench_cp MODULE   compiles MODULE, its tests and the modules it depends on (-am), writes each module's test
#                     class path to target/bench.cp and prints MODULE's full class path (test-classes, classes,
#                     the sibling modules' target/classes and the third-party jars).
# MVN_FLAGS (default "-q -B -ntp") go to Maven; the build tries offline first and goes online only if that fails.
bench_cp() {
  local mod="$1"
  local flags=(${MVN_FLAGS:--q -B -ntp} -Dstyle.color=never)
  local goals=(-pl "$mod" -am test-compile dependency:build-classpath -Dmdep.includeScope=test
    -Dmdep.outputFile=target/bench.cp)
  if ! (cd "$ROOT" && mvn "${flags[@]}" -o "${goals[@]}" >/dev/null 2>&1); then
    (cd "$ROOT" && mvn "${flags[@]}" "${goals[@]}" >&2) || { echo "bench: building $mod failed (see above)" >&2; return 1; }
  fi
  echo "$ROOT/$mod/target/test-classes:$ROOT/$mod/target/classes:$(cat "$ROOT/$mod/target/bench.cp")"
}
