#!/bin/sh
# myapp.sh: a user-defined resource for Tandem's "script" type.
#   myapp.sh start|stop|check|deepcheck
# Exit codes: 0 ok, 7 not running, anything else a failure. Tandem kills the whole process tree of a command that
# outlives its timeout; a daemon started in the background by "start" is left running.
PIDFILE=${PIDFILE:-/run/myapp.pid}
APP=${APP:-"sleep 100000"}          # the program to protect, here a stand-in

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "$1" in
  start)
    running && exit 0                         # idempotent: already running is success
    nohup $APP >/dev/null 2>&1 &
    echo $! > "$PIDFILE"
    running || { echo "myapp: $APP exited at once" >&2; exit 1; }
    ;;
  stop)
    running || { rm -f "$PIDFILE"; exit 0; }  # idempotent: already stopped is success
    pid=$(cat "$PIDFILE")
    kill "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null
    rm -f "$PIDFILE"
    ;;
  check)
    [ -f "$PIDFILE" ] || exit 7                # cleanly stopped
    running || { echo "myapp: pid $(cat "$PIDFILE") is gone" >&2; exit 1; }
    ;;
  deepcheck)
    running || exit 7
    if [ -n "$CHECK_RC" ]; then echo "myapp: health check said $CHECK_RC" >&2; exit "$CHECK_RC"; fi
    ;;
  *)
    echo "usage: $0 start|stop|check|deepcheck" >&2; exit 2 ;;
esac
exit 0
