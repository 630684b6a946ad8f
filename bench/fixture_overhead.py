"""Per-test cost of the seeme_mock fixture, against the same tests without it.

    python bench/fixture_overhead.py [TESTS] [ROUNDS]

Writes three sample projects of TESTS tests each and times `pytest -q` on them,
the best of ROUNDS: a plain empty test (the peer), an empty test that takes the
seeme_mock fixture, and a test that sends one SMS and runs its 3-step progression
(3, 4, 6 with callbacks into a WSGI app) under the manual clock.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECTS = {
    "plain": "def test_{n}():\n    pass\n",
    "fixture": "def test_{n}(seeme_mock):\n    pass\n",
    "progression": """
def test_{n}(seeme_mock):
    seen = []

    def dlr(environ, start_response):
        seen.append(environ["QUERY_STRING"])
        start_response("200 OK", [])
        return [b""]

    seeme_mock.deliver_to(dlr)
    query = urllib.parse.urlencode({{"key": KEY, "number": "36301234567", "message": "Hi",
                                     "callback": "3,4,6"}})
    urllib.request.urlopen(f"{{seeme_mock.url}}/gateway?{{query}}").read()
    seeme_mock.advance(5)
    assert len(seen) == 3
""",
}
HEADER = 'import urllib.parse, urllib.request\nKEY = "c2415537c8fca33feab37f0017faddf1fe5a"\n'


def run(folder: Path, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio",
             str(folder)],
            check=True, capture_output=True,
        )  # fmt: skip
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in PROJECTS.items():
            folder = Path(tmp, name)
            folder.mkdir()
            source = HEADER + "\n".join(body.format(n=n) for n in range(tests))
            (folder / f"test_{name}.py").write_text(source)
            timings[name] = run(folder, rounds)
    plain = timings["plain"]
    for name, seconds in timings.items():
        extra = (seconds - plain) / tests * 1000
        print(
            f"{name:12} {seconds:6.2f} s for {tests} tests; {seconds / plain:5.2f}x plain; "
            f"{extra:6.2f} ms per test over plain"
        )


if __name__ == "__main__":
    main()
