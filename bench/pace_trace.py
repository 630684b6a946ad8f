"""A server's pacing window by window (server/pacing.py): how late its callbacks went out,
what the pace did, how busy the server's thread was; to see a load-bench run's cuts and
what came before each (bench/RESULTS.md, the fourteenth pass).

The first form runs ``seeme-mock serve`` with Pace.observe wrapped, and writes OUT when
the server ends (SIGTERM or Ctrl-C). A line per 20 ms window: the time, the rate (0:
unpaced), the demand, first attempts seen, how many went out more than 1, 2, 3, 4 and
6 ms after they fell due, and the share of the window the server's thread ran. The
windows of every receiver go to one file: trace a run with one receiver, as the load
bench has.

The second form prints a trace from FROM (a Unix time; `date +%s.%N` before the run)
for SECONDS: per 0.1 s, then a summary line. A cut is the rate falling by 10% or more;
one "without warning" came after a window before the late ones (the pace cuts after
three late windows in a row) in which at most a fifth went out over 2 ms late: the
loop was not running behind, the server lost the CPU.

usage: python bench/pace_trace.py OUT serve [SERVE OPTIONS...]
       python bench/pace_trace.py --show OUT [FROM=its first window] [SECONDS=10]
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

OVER = (0.001, 0.002, 0.003, 0.004, 0.006)
"""Lateness thresholds counted per window, in seconds."""
WARM = 1
"""Index in OVER of the threshold that says the loop ran behind..."""
WARM_SHARE = 0.2
"""...when more than this share of a window's first attempts went over it."""
CUT = 0.9
"""A window whose rate is under this share of the one before's is a cut (the pace cuts to
85%; growth is 1% a window)."""


def trace(out: Path, serve_args: list[str]) -> None:
    """Run serve with the pace's windows recorded; write them to ``out`` at the end."""
    from seeme_mock.cli import main
    from seeme_mock.server import pacing

    rows: list[tuple[float, ...]] = []
    counts = [0] * (1 + len(OVER))
    last = [time.time(), time.thread_time()]
    observe = pacing.Pace.observe

    def observed(pace: pacing.Pace, late: float, now: float) -> None:
        counts[0] += 1
        for n, over in enumerate(OVER, 1):
            counts[n] += late > over
        window_end = pace._window_end  # the pace's inside: a window ends when it moves
        observe(pace, late, now)
        if pace._window_end != window_end:  # a window ended: its row
            wall, cpu = time.time(), time.thread_time()
            busy = (cpu - last[1]) / max(wall - last[0], 1e-9)
            rows.append((wall, pace.rate or 0.0, pace.demand or 0.0, *counts, busy))
            counts[:] = [0] * len(counts)
            last[:] = [wall, cpu]

    pacing.Pace.observe = observed  # type: ignore[method-assign,assignment]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.argv = ["seeme-mock", *serve_args]
    try:
        main()
    finally:
        out.write_text("".join(" ".join(f"{v:.4f}" for v in row) + "\n" for row in rows))


def show(rows: Sequence[Sequence[float]], start: float, seconds: float) -> list[str]:
    """The trace's rows from ``start`` for ``seconds``: a line per 0.1 s, then the summary."""
    rows = [row for row in rows if start <= row[0] <= start + seconds]
    if not rows:
        return [f"no window in the trace between {start:.1f} and {start + seconds:.1f}"]
    shares = "  ".join(f">{o * 1000:.0f}ms" for o in OVER)
    out = [f"     s   rate demand  seen  {shares}  busy"]
    tenths: dict[int, list[Sequence[float]]] = {}
    for row in rows:
        tenths.setdefault(int((row[0] - start) * 10 + 1e-6), []).append(row)  # 0.1 s is 0.0999...
    for tenth, group in tenths.items():
        seen = sum(row[3] for row in group)
        over = [sum(row[4 + n] for row in group) / max(seen, 1) for n in range(len(OVER))]
        busy = sum(row[-1] for row in group) / len(group)
        out.append(
            f"{tenth / 10:6.1f} {group[-1][1]:6.0f} {group[-1][2]:6.0f} {seen:5.0f}  "
            + "  ".join(f"{share:5.0%}" for share in over)
            + f"  {busy:4.0%}"
        )
    cuts = unwarned = warm = counted = 0
    for n, row in enumerate(rows):
        seen = row[3]
        if seen >= 5:
            counted += 1
            warm += row[4 + WARM] > WARM_SHARE * seen
        if n and 0 < row[1] < CUT * rows[n - 1][1]:
            cuts += 1
            before = rows[n - 4] if n >= 4 else None  # the window before three late ones
            unwarned += before is not None and before[4 + WARM] <= WARM_SHARE * before[3]
    rates = [row[1] for row in rows if row[1]]
    mean = sum(rates) / len(rates) if rates else 0.0
    out.append(
        f"cuts {cuts} ({unwarned} without warning); windows running behind "
        f"{warm / max(counted, 1):.0%}; mean rate {mean:.0f} a second (paced windows)"
    )
    return out


def main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[1] == "serve":
        trace(Path(argv[0]), argv[1:])
    elif len(argv) >= 2 and argv[0] == "--show":
        path = Path(argv[1])
        if not path.exists():
            sys.exit(
                f"{path}: no such trace; python bench/pace_trace.py {path} serve ... writes one"
            )
        rows = [[float(v) for v in line.split()] for line in path.read_text().splitlines() if line]
        if not rows:
            sys.exit(f"{path}: no window in it (no callback went out to a receiver that answered)")
        start = float(argv[2]) if len(argv) > 2 else rows[0][0]
        seconds = float(argv[3]) if len(argv) > 3 else 10.0
        print("\n".join(show(rows, start, seconds)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # piped into head: stop quietly
    main(sys.argv[1:])
