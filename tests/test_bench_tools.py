"""The bench's log reader (bench/late_windows.py) on a work folder whose lateness is known."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LATE_WINDOWS = Path(__file__).parent.parent / "bench" / "late_windows.py"


def test_late_windows_splits_the_start_from_later_sends(tmp_path: Path) -> None:
    t0 = 1_700_000_000.0
    sends = {"a": t0, "b": t0 + 0.5, "c": t0 + 3.0, "d": t0 + 3.2, "e": t0 + 4.0}
    (tmp_path / "sends.log").write_text(
        "".join(f"{at:.3f} {ref} 200\n" for ref, at in sends.items()) + f"{t0 + 5:.3f} x 500\n"
    )
    late_by = {"a": 0.030, "b": 0.001, "c": 0.020, "d": 0.002, "e": 0.0}
    delays = {"3": 0.1, "4": 0.2, "6": 0.3}
    (tmp_path / "callbacks.log").write_text(
        "".join(
            f"{sends[ref] + delay + late_by[ref]:.3f} {ref} {code}\n"
            for ref in sends
            for code, delay in delays.items()
        )
    )
    result = subprocess.run(
        [sys.executable, str(LATE_WINDOWS), str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    head, *windows = result.stdout.splitlines()
    # a: 3 late, from the first second; c: 3 late, later; b and d on time
    assert "15 callbacks" in head and "6 over 10 ms late" in head
    assert "3 of sends in the first 1 s, 3 of later ones" in head
    # c's callbacks land at 3.1, 3.2 and 3.3 s: three windows, one late each
    assert [w.split()[0] for w in windows] == ["0.10", "0.20", "0.30", "3.10", "3.20", "3.30"]
    assert all("late     1" in w for w in windows)


def test_late_windows_says_what_it_needs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(LATE_WINDOWS), str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "no send answered 200" in result.stderr
