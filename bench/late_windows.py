"""Where a load-bench run's late callbacks came from, read from the run's own logs.

The shared bench (callback_bench.sh) leaves its work folder in /tmp (cbbench.XXXX): the
time of every send answered and of every callback received. This cuts the run into
windows and prints those with a callback more than 10 ms late: sends answered and
callbacks received a second, how many were late and the worst. Above them, the split
that tells a run's known causes apart (bench/RESULTS.md, the tenth, twelfth, nineteenth
and twentieth passes): callbacks of the sends taken in the run's first second (a run that
starts in a rush), those received after the run's last send (wrk has stopped with the
server at its limit: its pace can no longer take fewer sends, and sometimes the machine
takes part of its CPU there), and the rest (episodes in mid-run, when the mock gets less
done for a while). Sends not answered 200 are left out, and their callbacks with them: the
sends wrk gave up as it stopped, which nginx logs as 499.

usage: python bench/late_windows.py WORK_FOLDER [WINDOW_SECONDS=0.1]
       python bench/late_windows.py --last [WINDOW_SECONDS=0.1]   (the newest /tmp/cbbench.*)
"""

from __future__ import annotations

import signal
import sys
from collections import Counter
from pathlib import Path

DELAYS = {"3": 0.1, "4": 0.2, "6": 0.3}
"""The bench's scenario: seconds from a send to each code's callback."""
LATE = 0.010
START = 1.0
"""Seconds from the first send answered within which a send counts as the run's start."""


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines() if line] if path.exists() else []


def main(work: Path, window: float) -> None:
    sent = {ref: float(t) for t, ref, status in lines(work / "sends.log") if status == "200"}
    if not sent:
        sys.exit(f"{work}: no send answered 200 in sends.log; is it a callback_bench.sh folder?")
    t0, last = min(sent.values()), max(sent.values())
    sends = Counter(int((t - t0) / window) for t in sent.values())
    received: Counter[int] = Counter()
    late: Counter[int] = Counter()
    worst: Counter[int] = Counter()
    lateness: list[float] = []
    from_start = after_last = 0
    for t, ref, code in lines(work / "callbacks.log"):
        if ref not in sent or code not in DELAYS:
            continue
        arrived = float(t)
        at = int((arrived - t0) / window)
        received[at] += 1
        by = arrived - sent[ref] - DELAYS[code]
        lateness.append(by)
        if by > LATE:
            late[at] += 1
            if arrived > last:
                after_last += 1
            else:
                from_start += sent[ref] - t0 < START
        worst[at] = max(worst[at], round(by * 1000))
    lateness.sort()
    p99 = lateness[int(0.99 * len(lateness))] * 1000 if lateness else float("nan")
    total = sum(late.values())
    print(
        f"{work}: {len(lateness)} callbacks, p99 {p99:.0f} ms; {total} over 10 ms late "
        f"(1% is {len(lateness) // 100}): {from_start} of sends in the first {START:g} s, "
        f"{total - from_start - after_last} of later ones, {after_last} received after "
        "the last send"
    )
    for at in sorted(k for k in received if late[k]):
        print(
            f"  {at * window:6.2f} s  sends/s {sends[at] / window:7.0f}  callbacks/s "
            f"{received[at] / window:7.0f}  late {late[at]:5d}  worst {worst[at]:4d} ms"
        )


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # piped into head: stop quietly
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "--last":
        folders = sorted(Path("/tmp").glob("cbbench.*"), key=lambda p: p.stat().st_mtime)
        if not folders:
            sys.exit("no /tmp/cbbench.* folder: run the shared load bench first")
        folder = folders[-1]
    else:
        folder = Path(sys.argv[1])
    main(folder, float(sys.argv[2]) if len(sys.argv) > 2 else 0.1)
