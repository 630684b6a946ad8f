"""Instructions per send that the journal costs the server's thread, counted by valgrind
(bench/callgrind.py). Each figure is the difference between a stream of 2*SENDS sends
and one of SENDS (bench/send_path.py's steady stream, on a loop, with the journal's
writer process as in the server), which cancels the start-up. The writer process itself
is not counted: it runs on another core.

usage: python bench/journal_instructions.py [SENDS=1500]   (needs valgrind)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from callgrind import instructions, need_valgrind
from send_path import steady, steady_journaled


def count(journal: bool, sends: int) -> int:
    """Instructions of one stream of ``sends``, start-up included."""
    return instructions(__file__, "--stream", "journal" if journal else "plain", str(sends))


async def stream(journal: bool, sends: int) -> None:
    if not journal:
        await steady(sends, None)
        return
    with tempfile.TemporaryDirectory() as folder:
        await steady_journaled(sends, Path(folder) / "j.db")


def main(sends: int) -> None:
    need_valgrind("bench/journal_instructions.py")
    per_send = {}
    for journal in (False, True):
        per_send[journal] = (count(journal, 2 * sends) - count(journal, sends)) / sends
    plain, written = per_send[False], per_send[True]
    print(
        f"{plain:,.0f} instructions per send without the journal, {written:,.0f} with it: "
        f"the journal {written - plain:+,.0f} ({written / plain - 1:+.1%})"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--stream"]:
        asyncio.run(stream(sys.argv[2] == "journal", int(sys.argv[3])))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)
