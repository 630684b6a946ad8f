#!/usr/bin/env bash
# How a mock recovers from a stall at full load, against the reference mock in the same
# sitting. On this 2-core machine wrk, nginx and the mock share the cores, and a run whose
# p99 goes over 10 ms mostly has an episode where the mock got less CPU for some tens of
# milliseconds (bench/RESULTS.md, the tenth pass). Those come when they like; here they
# are made on purpose: the mock is stopped (SIGSTOP) for PAUSE_MS, PAUSES times, 3 s apart,
# in the middle of a 10 s run of the shared load bench. Printed per mock: the bench's
# line, and the callbacks more than 10 ms late in the run divided by the pauses (the
# run's other late callbacks count too, a few hundred in most runs), also as milliseconds
# of the mock's own callback rate (late ÷ callbacks per second): what a pause cost it,
# whatever its load.
# RATE=N: each paused run offers N sends a second (bench/paced.sh) rather than wrk's as
# many as are answered; its line then says how many sends were answered over 100 ms late,
# which is how long a mock held sends back to catch up.
# usage: bench/stall.sh [PAUSE_MS=30] [PAUSES=2] [ROUNDS=2] [SERVE OPTIONS...]
#   (SHARED as in bench/compare.sh; the options go to seeme-mock serve)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$(dirname "$here")/../shared}
pause_ms=${1:-30}; pauses=${2:-2}; rounds=${3:-2}; shift $(($# < 3 ? $# : 3))
bench="$shared/bench/callback_bench.sh"
. "$here/needs.sh"
. "$here/runs.sh"
need_shared bench/stall.sh
if [ "$pauses" -lt 1 ]; then
  echo "bench/stall.sh: PAUSES must be 1 or more (it divides by them)" >&2
  exit 2
fi
need_whole_number bench/stall.sh RATE "sends a second"
mock=""
trap '[ -z "$mock" ] || end_mock "$mock"' EXIT

run() {  # run LABEL COMMAND...: a fresh mock on 18081, warmed up, then the paused run
  local label=$1; shift
  "$@" >/dev/null 2>&1 &
  local pid=$!
  mock=$pid
  sleep 1.5
  if ! kill -0 "$pid" 2>/dev/null; then  # else the bench would measure whatever holds the port
    echo "bench/stall.sh: $label did not start (is port 18081 taken?)" >&2
    exit 2
  fi
  bash "$bench" 18081 5 32 "$label-warmup" >/dev/null
  pause_now_and_then "$pid" "$pause_ms" "$pauses" &
  local stopper=$!
  local line folder
  measured_run 18081 10 "$label"
  wait "$stopper" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  mock=""
  python3 - "$folder" "$line" "$pauses" <<'PY'
import sys
from pathlib import Path
work, line, pauses = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
delay = {"3": 0.1, "4": 0.2, "6": 0.3}
sent = {}
for row in (work / "sends.log").read_text().splitlines():
    t, ref, status = row.split()
    if status == "200":
        sent[ref] = float(t)
late = 0
times = []
for row in (work / "callbacks.log").read_text().splitlines():
    t, ref, code = row.split()
    if ref in sent and code in delay:
        times.append(float(t))
        late += float(t) - sent[ref] - delay[code] > 0.010
rate = len(times) / (max(times) - min(times))
print(f"{line}\n  {late / pauses:.0f} callbacks >10 ms late per pause, "
      f"{late / pauses / rate * 1000:.0f} ms of its callback rate ({rate:.0f}/s)")
PY
}

for round in $(seq 1 "$rounds"); do
  run "reference-$round" python "$shared/bench/reference_mock.py" 18081
  run "seeme-mock-$round" python -m seeme_mock serve --port 18081 --delays 0.1,0.2,0.3 --quiet "$@"
done
