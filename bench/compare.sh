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
# 19080 and 19090 on 127.0.0.1. Prints each run's line, then per round the ratios; exits 1
# when seeme-mock did not hold (lost or duplicated a callback, or p99 lateness over 50 ms)
# in every round.
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
half=$(python3 - "$log/results" <<'PY'
import re, sys
held = [float(m.group(1)) for line in open(sys.argv[1]) if line.startswith("seeme-mock-")
        and "held=yes" in line and (m := re.search(r"sends_per_s=(\S+)", line))]
print(int(max(held, default=1000) / 2))
PY
)
paced() {  # PORT RATE LABEL: the run's line to results, the sender's to LABEL.sender
  SHARED="$shared" bash "$here/paced.sh" "$1" "$2" "$secs" "$3" 2>"$log/$3.sender" \
    | tee -a "$log/results"
  cat "$log/$3.sender" >&2
}
echo "paced at $half sends/s (half of seeme-mock's best held)" >&2
paced 18081 "$half" paced-1
target=$(python3 - "$log/results" <<'PY'
import re, sys
best = {"wiremock": 0.0, "reference": 0.0}
for line in open(sys.argv[1]):
    name = line.split(":", 1)[0].rsplit("-", 1)[0]
    if name in best and (name == "wiremock" or "held=yes" in line):
        best[name] = max(best[name], float(re.search(r"sends_per_s=(\S+)", line).group(1)))
print(int(max(3 * best["wiremock"], 0.6 * best["reference"], 100)))
PY
)
echo "at the first target's load: $target sends/s (3x WireMock's best, or 60% of the reference's)" >&2
paced 18082 "$target" target-reference-T
paced 18081 "$target" target-seeme-mock-T
paced 18083 "$target" target-journal-T
python3 - "$log/results" "$log" "$target" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    label, rest = line.split(":", 1)
    name, round_ = label.rsplit("-", 1)
    rows.setdefault(round_, {})[name] = dict(re.findall(r"(\w+)=(\S+)", rest))
failed = 0
for round_, r in sorted(rows.items()):
    if "seeme-mock" not in r:
        continue
    ours, peer, ceiling, journal = r["seeme-mock"], r["wiremock"], r["reference"], r["journal"]
    rate = float(ours["sends_per_s"])
    failed += ours["held"] != "yes"
    print(f"round {round_}: seeme-mock {rate:.0f} sends/s = "
          f"{rate / float(peer['sends_per_s']):.2f}x wiremock, "
          f"{rate / float(ceiling['sends_per_s']):.0%} of reference; "
          f"held={ours['held']} lost={ours['lost']} dups={ours['dups']} p99={ours['p99']} ms "
          f"| wiremock held={peer['held']} p99={peer['p99']} ms "
          f"| reference held={ceiling['held']} p99={ceiling['p99']} ms "
          f"| --journal {float(journal['sends_per_s']) / rate - 1:+.0%} "
          f"held={journal['held']} p99={journal['p99']} ms")
def late_answers(label):
    sender = open(f"{sys.argv[2]}/{label}.sender").read()
    found = re.search(r"answered over 100 ms late=(\d+)", sender)
    return found.group(1) if found else "?"
paced = rows.get("1", {}).get("paced")
if paced:
    print(f"paced at {paced['sends_per_s']} sends/s: seeme-mock held={paced['held']} "
          f"lost={paced['lost']} p50={paced['p50']} p99={paced['p99']} max={paced['max']} ms "
          f"sends answered over 100 ms late={late_answers('paced-1')}")
at_target = rows.get("T", {})
if at_target:
    print(f"at the first target's load, {sys.argv[3]} sends/s offered: " +
          " | ".join(f"{name} held={r['held']} p99={r['p99']} ms "
                     f"sends answered over 100 ms late={late_answers(f'target-{name}-T')}"
                     for name in ("seeme-mock", "reference", "journal")
                     if (r := at_target.get(f"target-{name}"))))
sys.exit(1 if failed else 0)
PY
