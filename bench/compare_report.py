"""bench/compare.sh's report, from its runs' lines: per round seeme-mock's line and its
ratios to both peers, the paced run, the first target's load, and then how many rounds met
each of the performance issue's targets. The reference mock's own p99 is counted beside
the lateness target: a round where the machine's ceiling itself went over 10 ms was a slow
sitting as much as a slow mock.

usage: python bench/compare_report.py RESULTS LOG_FOLDER TARGET_RATE
       python bench/compare_report.py --half RESULTS     (the paced run's rate)
       python bench/compare_report.py --target RESULTS   (the first target's load)
RESULTS holds the bench's lines (``label: key=value ...``); LOG_FOLDER the paced senders'
output (LABEL.sender). Exits 1 when seeme-mock did not hold in some round.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TIMES_WIREMOCK = 3.0
SHARE_OF_REFERENCE = 0.6
P99_MS = 10.0
PACED_P99_MS = 5.0
JOURNAL_COST = 0.15

Run = dict[str, str]


def read_runs(results: Path) -> dict[str, dict[str, Run]]:
    """Round (or "T" for the fixed-load runs) -> name -> the run's values."""
    rows: dict[str, dict[str, Run]] = {}
    for line in results.read_text().splitlines():
        label, _, rest = line.partition(":")
        name, _, round_ = label.rpartition("-")
        rows.setdefault(round_, {})[name] = dict(re.findall(r"(\w+)=(\S+)", rest))
    return rows


def half_best_held(rows: dict[str, dict[str, Run]]) -> int:
    """Half of seeme-mock's best held sends/s (1,000 when none held): the paced run's rate."""
    held = [
        float(ours["sends_per_s"])
        for r in rows.values()
        if (ours := r.get("seeme-mock")) and ours["held"] == "yes"
    ]
    return int(max(held, default=1000) / 2)


def first_target(rows: dict[str, dict[str, Run]]) -> int:
    """The first target's load: 3x WireMock's best sends/s or 60% of the reference's best
    held, whichever is more (100 at the least)."""
    wiremock = [float(peer["sends_per_s"]) for r in rows.values() if (peer := r.get("wiremock"))]
    reference = [
        float(ceiling["sends_per_s"])
        for r in rows.values()
        if (ceiling := r.get("reference")) and ceiling["held"] == "yes"
    ]
    return int(
        max(TIMES_WIREMOCK * max(wiremock, default=0.0),
            SHARE_OF_REFERENCE * max(reference, default=0.0), 100)
    )  # fmt: skip


def late_answers(folder: Path, label: str) -> str:
    sender = (folder / f"{label}.sender").read_text()
    found = re.search(r"answered over 100 ms late=(\d+)", sender)
    return found.group(1) if found else "?"


def report(rows: dict[str, dict[str, Run]], folder: Path, target: str) -> tuple[list[str], bool]:
    """The report's lines, and whether seeme-mock held in every round."""
    lines: list[str] = []
    rounds = [(key, r) for key, r in sorted(rows.items()) if "seeme-mock" in r]
    journal_within = reference_within = 0
    all_held = True
    missed: list[str] = []
    costs: list[float] = []
    for key, r in rounds:
        ours, peer, ceiling, journal = r["seeme-mock"], r["wiremock"], r["reference"], r["journal"]
        rate = float(ours["sends_per_s"])
        held = ours["held"] == "yes"
        all_held &= held
        times = rate / float(peer["sends_per_s"])
        share = rate / float(ceiling["sends_per_s"])
        cost = float(journal["sends_per_s"]) / rate - 1
        short = [
            why
            for why, failed in (
                ("not held", not held),
                (f"{times:.2f}x wiremock", times < TIMES_WIREMOCK),
                (f"{share:.1%} of reference", share < SHARE_OF_REFERENCE),
                (f"p99 {ours['p99']} ms", float(ours["p99"]) > P99_MS),
            )
            if failed
        ]
        if short:
            missed.append(f"round {key}: {', '.join(short)}")
        reference_within += float(ceiling["p99"]) <= P99_MS
        journal_within += journal["held"] == "yes" and cost >= -JOURNAL_COST
        costs.append(cost)
        lines.append(
            f"round {key}: seeme-mock {rate:.0f} sends/s = {times:.2f}x wiremock, "
            f"{share:.0%} of reference; held={ours['held']} lost={ours['lost']} "
            f"dups={ours['dups']} p99={ours['p99']} ms "
            f"| wiremock held={peer['held']} p99={peer['p99']} ms "
            f"| reference held={ceiling['held']} p99={ceiling['p99']} ms "
            f"| --journal {cost:+.0%} held={journal['held']} p99={journal['p99']} ms"
        )
    paced = rows.get("1", {}).get("paced")
    if paced:
        lines.append(
            f"paced at {paced['sends_per_s']} sends/s: seeme-mock held={paced['held']} "
            f"lost={paced['lost']} p50={paced['p50']} p99={paced['p99']} max={paced['max']} ms "
            f"sends answered over 100 ms late={late_answers(folder, 'paced-1')}"
        )
    at_target = rows.get("T", {})
    if at_target:
        lines.append(
            f"at the first target's load, {target} sends/s offered: "
            + " | ".join(
                f"{name} held={run['held']} p99={run['p99']} ms sends answered over 100 ms "
                f"late={late_answers(folder, f'target-{name}-T')}"
                for name in ("seeme-mock", "reference", "journal")
                if (run := at_target.get(f"target-{name}"))
            )
        )
    if rounds:
        n = len(rounds)
        summary = (
            f"targets: held at >={TIMES_WIREMOCK:g}x wiremock and >={SHARE_OF_REFERENCE:.0%} "
            f"of reference with p99 <={P99_MS:g} ms in {n - len(missed)} of {n} rounds"
            + (f" (missed in {'; '.join(missed)})" if missed else "")
            + f"; the reference's own p99 <={P99_MS:g} ms in {reference_within} of {n}; "
            f"--journal within {JOURNAL_COST:.0%} in {journal_within} of {n} "
            f"(mean {sum(costs) / n:+.1%})"
        )
        if paced:
            met = paced["held"] == "yes" and float(paced["p99"]) <= PACED_P99_MS
            summary += f"; paced p99 <={PACED_P99_MS:g} ms: {'yes' if met else 'no'}"
        lines.append(summary)
    return lines, all_held


def main(results: str, folder: str, target: str) -> int:
    lines, held = report(read_runs(Path(results)), Path(folder), target)
    print("\n".join(lines))
    return 0 if held else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--half", "--target"):
        rule = half_best_held if sys.argv[1] == "--half" else first_target
        print(rule(read_runs(Path(sys.argv[2]))))
    elif len(sys.argv) == 4:
        sys.exit(main(*sys.argv[1:]))
    else:
        raise SystemExit(__doc__)
