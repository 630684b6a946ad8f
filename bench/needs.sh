# What the bench scripts need before they start, checked the same way in each: sourced
# with $shared set; a check that fails says what to do and exits 2.

need_shared() {  # SCRIPT: the shared load bench is in $shared
  if [ ! -f "$shared/bench/callback_bench.sh" ]; then
    echo "$1 needs the shared load bench (bench/callback_bench.sh, bench/wiremock/," >&2
    echo "bench/reference_mock.py) in \$SHARED (now $shared): set SHARED=/path/to/that/folder" >&2
    exit 2
  fi
}

need_python() {  # SCRIPT MODULE...: 'python' here imports them
  local modules
  modules=$(IFS=,; echo "${*:2}")
  if ! python -c "import $modules" 2>/dev/null; then
    echo "$1: 'python' here cannot import $modules; activate the venv seeme-mock is" >&2
    echo "installed in (. .venv/bin/activate) and run it again" >&2
    exit 2
  fi
}

whole_number() {  # VALUE: 1 or more, digits only
  [[ "$1" =~ ^[1-9][0-9]*$ ]]
}

need_whole_number() {  # SCRIPT NAME WHAT: the variable NAME, if set, is a whole number
  local value=${!2:-}
  if [ -n "$value" ] && ! whole_number "$value"; then
    echo "$1: $2 is $3, a whole number, not $value" >&2
    exit 2
  fi
}
