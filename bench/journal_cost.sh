#!/usr/bin/env bash
# What --journal costs, measured in pairs: seeme-mock without it, then with it (a new
# journal file), each a fresh server warmed up for 5 s, then one run of the shared load
# bench; ROUNDS pairs, alternating, so both sides see the same machine. bench/compare.sh
# measures the journal too, but on a server that lives through every round beside three
# others, and its figure moves more from run to run.
# CONNECTIONS (default 32, the shared bench's) is how many sends wrk keeps in flight.
# More of them show how much of the cost is waiting, not work: a send with the journal
# is answered only once committed, so with 32 in flight the server runs short of sends
# to take while they wait (bench/RESULTS.md, the eleventh pass).
# usage: bench/journal_cost.sh [ROUNDS] [SECONDS] [CONNECTIONS]   (SHARED as in bench/compare.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$(dirname "$here")/../shared}
rounds=${1:-3}; secs=${2:-10}; conns=${3:-32}
. "$here/needs.sh"
need_shared bench/journal_cost.sh
need_python bench/journal_cost.sh seeme_mock
work=$(mktemp -d /tmp/seeme-journal-cost.XXXX)
run() {  # LABEL [serve options]: prints the bench's line
  python -m seeme_mock serve --port 18081 --delays 0.1,0.2,0.3 --quiet "${@:2}" \
    >"$work/$1.log" 2>&1 &
  local server=$!
  sleep 1.5
  if ! kill -0 "$server" 2>/dev/null; then  # else the bench would measure whatever holds the port
    echo "bench/journal_cost.sh: seeme-mock did not start (is port 18081 taken?): $work/$1.log" >&2
    exit 2
  fi
  bash "$shared/bench/callback_bench.sh" 18081 5 "$conns" warmup >/dev/null
  bash "$shared/bench/callback_bench.sh" 18081 "$secs" "$conns" "$1" | tail -n1
  kill "$server"
  wait "$server" || true
}
for round in $(seq 1 "$rounds"); do
  plain=$(run "plain-$round")
  rm -f "$work"/journal.db*
  journal=$(run "journal-$round" --journal "$work/journal.db")
  echo "$plain"
  echo "$journal"
  python - "$plain" "$journal" <<'PY'
import sys
rates = [float(line.split("sends_per_s=")[1].split()[0]) for line in sys.argv[1:]]
print(f"round: --journal {rates[1] / rates[0] - 1:+.0%} of sends/s")
PY
done
