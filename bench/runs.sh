# How the bench scripts run a mock under load, the same way in each: sourced with $here
# and $shared set.

measured_run() {  # PORT SECONDS LABEL: one run of the load bench, wrk's, or with RATE=N
  # paced at N sends a second (bench/paced.sh); sets line (the bench's line, and when
  # paced the sends answered over 100 ms late) and folder (the run's logs)
  if [ -n "${RATE:-}" ]; then
    local out
    out=$(SHARED="$shared" bash "$here/paced.sh" "$1" "$RATE" "$2" "$3" 2>&1)  # the sender's line is on stderr
    line="$(tail -n1 <<<"$out") $(grep -o 'answered over 100 ms late=[0-9]*' <<<"$out" | tr ' ' _ || true)"
    folder=$(ls -td /tmp/pacedbench.* | sed -n 1p)
  else
    line=$(bash "$shared/bench/callback_bench.sh" "$1" "$2" 32 "$3" | tail -n1)
    folder=$(ls -td /tmp/cbbench.* | sed -n 1p)  # not head: ls, cut short, fails the pipe
  fi
}

pause_now_and_then() {  # PID MS PAUSES: stopped (SIGSTOP) for MS ms 2.6 s from now, then
  # every 3 s, as the machine's own episodes stop a mock at random (bench/RESULTS.md, the
  # tenth pass)
  local seconds
  seconds=$(python3 -c "print($2 / 1000)")
  sleep 2.6  # nginx starts and the run's first second passes
  for _ in $(seq 1 "$3"); do
    kill -STOP "$1"; sleep "$seconds"; kill -CONT "$1"; sleep 3
  done
}

end_mock() {  # PID: ended, even if stopped by pause_now_and_then when the script is cut
  # short (Ctrl-C kills the pauser mid-pause; a stopped process leaves SIGTERM pending and
  # holds its port)
  kill -CONT "$1" 2>/dev/null || true
  kill "$1" 2>/dev/null || true
}
