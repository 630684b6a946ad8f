#!/usr/bin/env bash
# Two versions of seeme-mock side by side, each run on a fresh server: PAIRS pairs,
# alternating A and B, each a new server and one run of the shared load bench. Prints each
# run's line with the rate its first pacing started at (none: never paced), then where the
# run's late callbacks came from (bench/late_windows.py). A fresh server's first run is
# where a load test starts in a rush; bench/compare.sh warms its servers up first.
# A and B are source trees (a checkout, or `git worktree add /tmp/a COMMIT`); each server
# is started from / with the tree first on PYTHONPATH: `python -m` puts the current folder
# first, so one started inside a checkout runs that checkout's code whatever PYTHONPATH
# says (bench/RESULTS.md, the twelfth pass).
# --journal: each server with a journal of its own, a new file.
# WARMUP=S: each server is first run under the bench for S seconds and rested 5, as
# compare.sh warms its servers; its pacing then starts from what that run taught it.
# TRACE=1: each server runs under bench/pace_trace.py, and the run's cuts are summed up
# (its trace is kept in the work folder, LABEL.trace, with the run's start in LABEL.start).
# STALL=MS: the server is stopped (SIGSTOP) for MS milliseconds three times in the measured
# run, 2.6 s into it and then every 3 s, as the machine's own episodes stop it at random
# (bench/stall.sh): how the pace comes out of a stall, made alike for A and B.
# RATE=N: the measured run offers N sends a second (bench/paced.sh) rather than as many as
# are answered; the line then says how many sends were answered over 100 ms late, which
# is the pace holding them back.
# usage: bench/fresh_pairs.sh A B [PAIRS] [SECONDS] [--journal]   (SHARED as in compare.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$(dirname "$here")/../shared}
usage="usage: bench/fresh_pairs.sh A B [PAIRS] [SECONDS] [--journal]"
a=${1:?$usage}; b=${2:?$usage}
pairs=${3:-5}; secs=${4:-5}; journal=${5:-}
if [ -n "$journal" ] && [ "$journal" != --journal ]; then
  echo "bench/fresh_pairs.sh: the fifth argument can only be --journal, not $journal" >&2
  exit 2
fi
. "$here/needs.sh"
. "$here/runs.sh"
need_whole_number bench/fresh_pairs.sh RATE "sends a second"
need_whole_number bench/fresh_pairs.sh STALL milliseconds
for tree in "$a" "$b"; do
  if [ ! -f "$tree/seeme_mock/__init__.py" ]; then
    echo "bench/fresh_pairs.sh: $tree holds no seeme_mock/ package (give two source trees)" >&2
    exit 2
  fi
done
need_shared bench/fresh_pairs.sh
need_python bench/fresh_pairs.sh aiohttp httptools  # seeme_mock itself comes from A and B
a=$(cd "$a" && pwd); b=$(cd "$b" && pwd)
work=$(mktemp -d /tmp/seeme-fresh.XXXX)
server=
trap '[ -z "$server" ] || end_mock "$server"' EXIT
run() {  # LABEL TREE: prints the bench's line, the first pacing's rate, the late split
  local options=() command=(-m seeme_mock)
  [ -n "$journal" ] && options=(--journal "$work/$1.db")
  [ -n "${TRACE:-}" ] && command=("$here/pace_trace.py" "$work/$1.trace")
  (cd / && PYTHONPATH="$2" exec python "${command[@]}" serve --port 18081 \
    --delays 0.1,0.2,0.3 --quiet "${options[@]}") >"$work/$1.log" 2>&1 &
  server=$!
  local line folder first
  sleep 2
  if ! kill -0 "$server" 2>/dev/null; then
    echo "bench/fresh_pairs.sh: seeme-mock did not start (is port 18081 taken?): $work/$1.log" >&2
    exit 2
  fi
  if [ "${WARMUP:-0}" != 0 ]; then
    bash "$shared/bench/callback_bench.sh" 18081 "$WARMUP" 32 "$1-warmup" >/dev/null
    sleep 5
  fi
  date +%s.%N >"$work/$1.start"
  local stopper=
  if [ -n "${STALL:-}" ]; then
    pause_now_and_then "$server" "$STALL" 3 &
    stopper=$!
  fi
  measured_run 18081 "$secs" "$1"
  [ -z "$stopper" ] || wait "$stopper" || true
  kill "$server"
  wait "$server" || true
  server=
  first=$(grep -o 'now taken at [0-9]*' "$work/$1.log" | sed -n '1s/.* //p' || true)
  echo "$line first_pace=${first:-none}"
  python "$here/late_windows.py" "$folder" | sed -n '1s/^[^:]*:/   /p'
  if [ -n "${TRACE:-}" ]; then
    echo "   $(python "$here/pace_trace.py" --show "$work/$1.trace" "$(cat "$work/$1.start")" "$secs" | tail -n1)"
  fi
}
for pair in $(seq 1 "$pairs"); do
  run "A-$pair" "$a"
  run "B-$pair" "$b"
done
