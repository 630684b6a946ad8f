#!/usr/bin/env bash
# The CPU a send costs a mock at a fixed offered load (bench/paced.sh), seeme-mock against
# the bench's reference mock in the same sitting: one fresh server of each, the rates in
# the order given, the two mocks alternating at each rate. Per run: all the mock's CPU
# (user and system, from /proc) over the run and paced.sh's 2 s after it, per send
# answered (idle, seeme-mock spends about 1% of a core); how often per send its main
# thread slept for want of work (voluntary context switches, from /proc); the run's p99.
# The lower the rate, the more a send costs, since fewer events share each turn of the
# loop (bench/RESULTS.md, the twentieth pass).
# usage: bench/cpu_at_rate.sh SECONDS RATE...   (SHARED as in bench/compare.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$(dirname "$here")/../shared}
. "$here/needs.sh"
. "$here/runs.sh"
need_shared bench/cpu_at_rate.sh
if [ $# -lt 2 ]; then
  echo "usage: bench/cpu_at_rate.sh SECONDS RATE...   (e.g. 8 1000 3000 5000)" >&2
  exit 2
fi
for value in "$@"; do
  if ! whole_number "$value"; then
    echo "bench/cpu_at_rate.sh: SECONDS and each RATE are whole numbers, not $value" >&2
    exit 2
  fi
done
need_python bench/cpu_at_rate.sh seeme_mock aiohttp
secs=$1; shift
python -m seeme_mock serve --port 18081 --delays 0.1,0.2,0.3 --quiet >/dev/null 2>&1 &
seeme=$!
python "$shared/bench/reference_mock.py" 18082 >/dev/null 2>&1 &
reference=$!
trap 'end_mock $seeme; end_mock $reference' EXIT
sleep 3
tick_us=$((1000000 / $(getconf CLK_TCK)))

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sleeps() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }

measure() {  # PID PORT RATE: sets figures (us a send, sleeps a send, p99)
  local cpu0 sleeps0 line sends p99
  cpu0=$(cpu_ticks "$1"); sleeps0=$(sleeps "$1")
  line=$(SHARED="$shared" bash "$here/paced.sh" "$2" "$3" "$secs" "rate-$3" 2>&1 | tail -n1)
  if ! [[ "$line" =~ sends_ok=([0-9]+).*p99=([^ ]+) ]]; then
    echo "bench/cpu_at_rate.sh: the run at $3 sends/s on port $2 printed no bench line: $line" >&2
    exit 1
  fi
  sends=${BASH_REMATCH[1]}
  p99=${BASH_REMATCH[2]}
  figures=$(python3 -c "import sys; t, s, n, us = map(int, sys.argv[1:5]); \
print(f'{t * us / max(n, 1):.0f} {s / max(n, 1):.2f}')" \
    "$(($(cpu_ticks "$1") - cpu0))" "$(($(sleeps "$1") - sleeps0))" "$sends" "$tick_us")
  figures="$figures $p99"
}

for rate in "$@"; do
  measure "$seeme" 18081 "$rate"; read -r ours ours_sleeps ours_p99 <<<"$figures"
  measure "$reference" 18082 "$rate"; read -r peer peer_sleeps peer_p99 <<<"$figures"
  echo "rate $rate: seeme-mock $ours us of CPU a send ($ours_sleeps sleeps a send, p99 $ours_p99 ms)" \
    "| reference $peer us ($peer_sleeps, p99 $peer_p99 ms)" \
    "| seeme-mock ÷ reference $(python3 -c "print(f'{$ours / max($peer, 1):.2f}')")"
done
