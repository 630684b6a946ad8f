#!/usr/bin/env bash
# Side by side under the shared load bench ($SHARED/bench/callback_bench.sh; SHARED defaults
# to the folder beside this clone): warm WireMock (the peer), the bench's reference mock
# (the machine's ceiling: validates and records nothing) and seeme-mock, alternating, in
# the same sitting; then seeme-mock with --journal, and seeme-mock at a fixed offered load
# of half its best held sends/s (bench/paced.sh). Last, the reference, seeme-mock and
# seeme-mock with --journal each at the first target's load, offered at a fixed rate: 3x
# WireMock's best sends/s or 60% of the reference's best held, whichever is more. wrk
# sends as fast as answers come, so a round's p99 is lateness at saturation; a load test
# of a SUT offers a rate, and these runs say how late callbacks get at that rate, with the
# reference's own p99 at it (the machine's floor) beside.
# usage: bench/compare.sh [SECONDS per run] [ROUNDS] [CONNECTIONS]
# Needs wrk, nginx (Debian packages), java and npm (for the WireMock jar). Ports 18080-18083,
# 19080 and 19090 on 127.0.0.1. Prints each run's line, then per round the ratios, and how
# many rounds met each of the performance issue's targets (bench/compare_report.py); exits
# 1 when seeme-mock did not hold (lost or duplicated a callback, or p99 lateness over 50 ms)
# in some round.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${SHARED:-$root/../shared}
secs=${1:-10}; rounds=${2:-3}; conns=${3:-32}
. "$here/needs.sh"
need_shared bench/compare.sh
need_python bench/compare.sh seeme_mock aiohttp
jar=$(ls "$here"/.wiremock/package/build/wiremock-standalone-*.jar 2>/dev/null | head -n1 || true)
if [ -z "$jar" ]; then
  mkdir -p "$here/.wiremock"
  (cd "$here/.wiremock" && npm pack wiremock --silent >/dev/null && tar xzf wiremock-*.tgz)
  jar=$(ls "$here"/.wiremock/package/build/wiremock-standalone-*.jar | head -n1)
fi
log=$(mktemp -d /tmp/seeme-bench.XXXX)
serve() { exec python -m seeme_mock serve --delays 0.1,0.2,0.3 --quiet "$@"; }
serve --port 18081 >"$log/seeme.log" 2>&1 &
seeme=$!
serve --port 18083 --journal "$log/journal.db" >"$log/seeme-journal.log" 2>&1 &
journal=$!
python "$shared/bench/reference_mock.py" 18082 >"$log/reference.log" 2>&1 &
reference=$!
java -jar "$jar" --port 18080 --bind-address 127.0.0.1 --root-dir "$shared/bench/wiremock" \
  --async-response-enabled true --no-request-journal --disable-request-logging >"$log/wiremock.log" 2>&1 &
wiremock=$!
trap 'kill $seeme $journal $reference $wiremock 2>/dev/null || true' EXIT
sleep 8
bench="$shared/bench/callback_bench.sh"
echo "warming up (WireMock's JVM needs about a minute of load)" >&2
bash "$bench" 18080 60 "$conns" wiremock-warmup >&2
bash "$bench" 18082 5 "$conns" reference-warmup >&2
bash "$bench" 18081 10 "$conns" seeme-warmup >&2
bash "$bench" 18083 5 "$conns" journal-warmup >&2
for round in $(seq 1 "$rounds"); do
  bash "$bench" 18080 "$secs" "$conns" "wiremock-$round" | tee -a "$log/results"
  bash "$bench" 18082 "$secs" "$conns" "reference-$round" | tee -a "$log/results"
  bash "$bench" 18081 "$secs" "$conns" "seeme-mock-$round" | tee -a "$log/results"
  bash "$bench" 18083 "$secs" "$conns" "journal-$round" | tee -a "$log/results"
done
half=$(python3 "$here/compare_report.py" --half "$log/results")
paced() {  # PORT RATE LABEL: the run's line to results, the sender's to LABEL.sender
  SHARED="$shared" bash "$here/paced.sh" "$1" "$2" "$secs" "$3" 2>"$log/$3.sender" \
    | tee -a "$log/results"
  cat "$log/$3.sender" >&2
}
echo "paced at $half sends/s (half of seeme-mock's best held)" >&2
paced 18081 "$half" paced-1
target=$(python3 "$here/compare_report.py" --target "$log/results")
echo "at the first target's load: $target sends/s (3x WireMock's best, or 60% of the reference's)" >&2
paced 18082 "$target" target-reference-T
paced 18081 "$target" target-seeme-mock-T
paced 18083 "$target" target-journal-T
python3 "$here/compare_report.py" "$log/results" "$log" "$target"
