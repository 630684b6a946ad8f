# A mock stopped (SIGSTOP) now and then, as the machine's own episodes stop it at random
# (bench/RESULTS.md, the tenth pass): sourced by bench/stall.sh and bench/fresh_pairs.sh.

pause_now_and_then() {  # PID MS PAUSES: stopped for MS ms 2.6 s from now, then every 3 s
  local seconds
  seconds=$(python3 -c "print($2 / 1000)")
  sleep 2.6  # nginx starts and the run's first second passes
  for _ in $(seq 1 "$3"); do
    kill -STOP "$1"; sleep "$seconds"; kill -CONT "$1"; sleep 3
  done
}
