#!/bin/sh
# A bounded "fork bomb" for the stop test: 10 children with 4 grandchildren each (50 sleeping processes). Odd
# children ignore SIGTERM (and so do their grandchildren, who inherit it), and one grandchild of each child leaves
# the session with setsid: stop must get every one of them. Every pid is appended to the file $1.
out="$1"
echo $$ >> "$out"
i=0
while [ $i -lt 10 ]; do
  if [ $((i % 2)) -eq 1 ]; then ignore="trap '' TERM;"; else ignore=""; fi
  sh -c "$ignore"' echo $$ >> "$0"
    setsid sleep 1000 & echo $! >> "$0"
    j=1
    while [ $j -lt 4 ]; do sleep 1000 & echo $! >> "$0"; j=$((j+1)); done
    wait' "$out" &
  i=$((i+1))
done
wait
