"""Instructions a Python command runs, counted by valgrind (callgrind): unlike a time, a
count barely moves from run to run (two runs of the same code differ by 0.1%, where the
load bench's figures move by 20%), so a change of a few percent shows. The kernel's part
of a system call is not counted, nor are child processes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

__all__ = ["instructions", "need_valgrind"]


def need_valgrind(bench: str) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit(f"{bench} needs valgrind (apt-get install valgrind)")


def instructions(*args: str) -> int:
    """Instructions of ``python ARGS``, start-up included; the same dicts in every run."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *args],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no count:\n{done.stderr}")
    return int(found[1])
