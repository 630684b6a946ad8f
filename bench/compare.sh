#!/usr/bin/env bash
# Side by side: seeme-mock against warm WireMock under the shared load bench
# (\$SHARED/bench/callback_bench.sh; SHARED defaults to the folder beside this clone).
# usage: bench/compare.sh [SECONDS per run] [ROUNDS] [CONNECTIONS]
# Needs wrk, nginx (Debian packages), java and npm (for the WireMock jar). Ports 18080,
# 18081, 19080 and 19090 on 127.0.0.1. Prints each run's line, then the sends/s ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${SHARED:-$root/../shared}
secs=${1:-10}; rounds=${2:-3}; conns=${3:-32}
if [ ! -f "$shared/bench/callback_bench.sh" ]; then
  echo "bench/compare.sh needs the shared load bench (bench/callback_bench.sh, bench/wiremock/)" >&2
  echo "in \$SHARED (now $shared): set SHARED=/path/to/that/folder" >&2
  exit 2
fi
jar=$(ls "$here"/.wiremock/package/build/wiremock-standalone-*.jar 2>/dev/null | head -n1 || true)
if [ -z "$jar" ]; then
  mkdir -p "$here/.wiremock"
  (cd "$here/.wiremock" && npm pack wiremock --silent >/dev/null && tar xzf wiremock-*.tgz)
  jar=$(ls "$here"/.wiremock/package/build/wiremock-standalone-*.jar | head -n1)
fi
log=$(mktemp -d /tmp/seeme-bench.XXXX)
python -m seeme_mock serve --port 18081 --delays 0.1,0.2,0.3 --quiet >"$log/seeme.log" 2>&1 &
seeme=$!
java -jar "$jar" --port 18080 --bind-address 127.0.0.1 --root-dir "$shared/bench/wiremock" \
  --async-response-enabled true --no-request-journal --disable-request-logging >"$log/wiremock.log" 2>&1 &
wiremock=$!
trap 'kill $seeme $wiremock 2>/dev/null || true' EXIT
sleep 8
bench="$shared/bench/callback_bench.sh"
echo "warming up (WireMock's JVM needs about a minute of load)" >&2
bash "$bench" 18080 60 "$conns" wiremock-warmup >&2
bash "$bench" 18081 10 "$conns" seeme-warmup >&2
for round in $(seq 1 "$rounds"); do
  bash "$bench" 18080 "$secs" "$conns" "wiremock-$round" | tee -a "$log/results"
  bash "$bench" 18081 "$secs" "$conns" "seeme-mock-$round" | tee -a "$log/results"
done
python3 - "$log/results" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    label, rest = line.split(":", 1)
    name, round_ = label.rsplit("-", 1)
    fields = dict(re.findall(r"(\w+)=(\S+)", rest))
    rows.setdefault(round_, {})[name] = fields
for round_, r in sorted(rows.items()):
    ours, peer = r["seeme-mock"], r["wiremock"]
    ratio = float(ours["sends_per_s"]) / float(peer["sends_per_s"])
    print(f"round {round_}: seeme-mock/wiremock sends/s = {ratio:.2f}x "
          f"(seeme-mock held={ours['held']} lost={ours['lost']} p99={ours['p99']} ms; "
          f"wiremock held={peer['held']} lost={peer['lost']} p99={peer['p99']} ms)")
PY
