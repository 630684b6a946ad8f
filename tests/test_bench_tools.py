"""The bench's log reader (bench/late_windows.py) on a work folder whose lateness is known;
the pace's tracer (bench/pace_trace.py) on a known trace and on a real server; the bench
scripts' checks before they start (bench/needs.sh) and how they end a mock (bench/runs.sh);
the journal writer's replay (bench/writer_cost.py); compare.sh's report
(bench/compare_report.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from conftest import ServeProcess, send, wait_for
from seeme_mock.server.journal import _WHOLE
from seeme_mock.server.journal_writer import ATTEMPT_ROWS

BENCH = Path(__file__).parent.parent / "bench"
LATE_WINDOWS = BENCH / "late_windows.py"


def test_late_windows_splits_the_start_the_end_and_the_rest(tmp_path: Path) -> None:
    t0 = 1_700_000_000.0
    sends = {"a": t0, "b": t0 + 0.5, "c": t0 + 3.0, "d": t0 + 3.2, "e": t0 + 4.0}
    (tmp_path / "sends.log").write_text(
        "".join(f"{at:.3f} {ref} 200\n" for ref, at in sends.items()) + f"{t0 + 5:.3f} x 500\n"
    )
    late_by = {"a": 0.030, "b": 0.001, "c": 0.020, "d": 0.002, "e": 0.015}
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
    # a: 3 late, from the first second; c: 3 late, later; e, the last send: 3 late, all
    # received after it; b and d on time
    assert "15 callbacks" in head and "9 over 10 ms late" in head
    assert "3 of sends in the first 1 s, 3 of later ones, 3 received after the last send" in head
    # c's callbacks land at 3.1, 3.2 and 3.3 s, e's at 4.1, 4.2 and 4.3: a window each
    assert [w.split()[0] for w in windows] == [
        "0.10", "0.20", "0.30", "3.10", "3.20", "3.30", "4.10", "4.20", "4.30"
    ]  # fmt: skip
    assert all("late     1" in w for w in windows)


def _bench_line(label: str, sends_per_s: int, p99: float, held: str = "yes") -> str:
    return (
        f"{label}: held={held} sends_ok={10 * sends_per_s} sends_per_s={sends_per_s} "
        f"callbacks=0 expected=0 lost=0 dups=0 lateness_ms p50=0.0 p99={p99} max={p99}\n"
    )


def test_compare_report_counts_the_rounds_that_met_each_target(tmp_path: Path) -> None:
    # round 1 meets every target; round 2 is 3.5x WireMock but 55% of the reference, at
    # p99 12 ms, and its journal costs 20%; the reference went over 10 ms in round 1 only
    results = tmp_path / "results"
    results.write_text(
        _bench_line("wiremock-1", 1000, 300.0, "no")
        + _bench_line("reference-1", 6000, 12.0)
        + _bench_line("seeme-mock-1", 5000, 8.0)
        + _bench_line("journal-1", 4500, 6.0)
        + _bench_line("wiremock-2", 1000, 300.0, "no")
        + _bench_line("reference-2", 6400, 9.0)
        + _bench_line("seeme-mock-2", 3500, 12.0)
        + _bench_line("journal-2", 2800, 6.0)
        + _bench_line("paced-1", 2500, 6.0)
        + _bench_line("target-seeme-mock-T", 3840, 2.0)
    )
    (tmp_path / "paced-1.sender").write_text("paced: ok answered over 100 ms late=17\n")
    (tmp_path / "target-seeme-mock-T.sender").write_text("answered over 100 ms late=0\n")
    report = BENCH / "compare_report.py"
    result = subprocess.run(
        [sys.executable, str(report), str(results), str(tmp_path), "3840"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result
    # the rates compare.sh offers: half the best held, and 60% of the reference's best held
    # (more than 3x WireMock's 1,000)
    for rule, rate in (("--half", "2500"), ("--target", "3840")):
        chosen = subprocess.run(
            [sys.executable, str(report), rule, str(results)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert chosen.stdout.strip() == rate
    *rounds, paced, at_target, targets = result.stdout.splitlines()
    assert rounds[0].startswith("round 1: seeme-mock 5000 sends/s = 5.00x wiremock, 83% of")
    assert rounds[1].endswith("--journal -20% held=yes p99=6.0 ms")
    assert paced.endswith("p99=6.0 max=6.0 ms sends answered over 100 ms late=17")
    assert at_target == (
        "at the first target's load, 3840 sends/s offered: seeme-mock held=yes p99=2.0 ms "
        "sends answered over 100 ms late=0"
    )
    assert targets == (
        "targets: held at >=3x wiremock and >=60% of reference with p99 <=10 ms in 1 of 2 "
        "rounds (missed in round 2: 54.7% of reference, p99 12.0 ms); the reference's own "
        "p99 <=10 ms in 1 of 2; --journal within 15% in 1 of 2 (mean -15.0%); paced p99 "
        "<=5 ms: no"
    )

    lines = results.read_text().replace("seeme-mock-2: held=yes", "seeme-mock-2: held=no")
    results.write_text(lines)
    result = subprocess.run(
        [sys.executable, str(report), str(results), str(tmp_path), "3840"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1, result
    assert "in round 2: not held, 54.7% of reference, p99 12.0 ms)" in result.stdout


def test_late_windows_says_what_it_needs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(LATE_WINDOWS), str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "no send answered 200" in result.stderr


@pytest.mark.parametrize(
    "script, args",
    [
        ("compare.sh", []),
        ("journal_cost.sh", []),
        ("stall.sh", []),
        ("fresh_pairs.sh", [str(BENCH.parent), str(BENCH.parent)]),
        ("cpu_at_rate.sh", ["8", "1000"]),
    ],
)
def test_a_bench_script_without_the_shared_bench_says_so_and_starts_nothing(
    script: str, args: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "SHARED": str(tmp_path / "nowhere")}
    result = subprocess.run(
        ["bash", str(BENCH / script), *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2, result
    assert f"bench/{script} needs the shared load bench" in result.stderr
    assert "set SHARED=" in result.stderr


def test_fresh_pairs_refuses_a_rate_that_is_not_a_number_before_starting_anything() -> None:
    env = {**os.environ, "RATE": "fast"}
    args = [str(BENCH.parent), str(BENCH.parent)]
    result = subprocess.run(
        ["bash", str(BENCH / "fresh_pairs.sh"), *args],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result
    assert "RATE is sends a second, a whole number, not fast" in result.stderr


def test_end_mock_ends_a_mock_left_stopped_by_a_pause() -> None:
    """A script cut short mid-pause leaves its mock stopped (SIGSTOP), which holds a plain
    SIGTERM pending for good: end_mock must end it all the same."""
    stopped = subprocess.Popen(["sleep", "60"])
    try:
        os.kill(stopped.pid, signal.SIGSTOP)
        subprocess.run(
            ["bash", "-c", f'source "{BENCH / "runs.sh"}" && end_mock {stopped.pid}'],
            check=True, timeout=60,
        )  # fmt: skip
        assert stopped.wait(timeout=10) == -signal.SIGTERM
    finally:
        stopped.kill()
        stopped.wait()


def test_cpu_at_rate_refuses_a_rate_that_is_not_a_number_before_starting_anything(
    tmp_path: Path,
) -> None:
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "callback_bench.sh").write_text("exit 1\n")  # a stand-in
    env = {**os.environ, "SHARED": str(tmp_path)}
    result = subprocess.run(
        ["bash", str(BENCH / "cpu_at_rate.sh"), "8", "fast"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result
    assert "SECONDS and each RATE are whole numbers, not fast" in result.stderr


def test_a_bench_script_whose_python_lacks_a_module_says_which(tmp_path: Path) -> None:
    """The shared bench is there (an empty stand-in); 'python' on PATH cannot import."""
    shared = tmp_path / "shared"
    (shared / "bench").mkdir(parents=True)
    (shared / "bench" / "callback_bench.sh").write_text("exit 1\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "python").chmod(0o755)
    env = {**os.environ, "SHARED": str(shared), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", str(BENCH / "compare.sh")], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2, result
    assert "cannot import seeme_mock,aiohttp" in result.stderr


PACE_TRACE = BENCH / "pace_trace.py"


def test_pace_trace_sums_up_cuts_with_and_without_warning(tmp_path: Path) -> None:
    t0, on_time, behind, late = 1_700_000_000.0, (5, 0), (50, 0), (90, 50)
    # (rate, first attempts over 2 ms, over 6 ms) a window; 100 first attempts each
    windows = [(5000, *on_time)] * 4 + [(5000, *late)] * 3  # late out of the blue...
    windows += [(4000, *on_time)] + [(4000, *behind)] * 2  # ...cut; then running behind
    windows += [(4000, *late)] * 3 + [(3000, *on_time)]  # ...late again, and cut
    trace = tmp_path / "run.trace"
    trace.write_text(
        "".join(
            f"{t0 + n * 0.02:.4f} {rate} {rate} 100 {over_2} {over_2} {over_6} {over_6} "
            f"{over_6} 0.9\n"
            for n, (rate, over_2, over_6) in enumerate(windows)
        )
    )
    shown = subprocess.run(
        [sys.executable, str(PACE_TRACE), "--show", str(trace)],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert shown[-1] == (
        "cuts 2 (1 without warning); windows running behind 57%; "
        "mean rate 4429 a second (paced windows)"
    )
    assert shown[1].split()[:4] == ["0.0", "5000", "5000", "500"]  # 0-0.1 s: five windows


def test_pace_trace_records_a_real_server_s_windows(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/dlr").respond_with_data("OK")
    trace = tmp_path / "run.trace"
    server = ServeProcess("--delays", "0,0,0", "--quiet", program=(str(PACE_TRACE), str(trace)))
    try:
        for n in range(60):
            send(
                server.url, reference=f"r{n}", callback="6", callbackurl=httpserver.url_for("/dlr")
            )
        wait_for("60 callbacks", lambda: len(httpserver.log) >= 60)
    finally:
        server.stop()
    rows = [[float(v) for v in line.split()] for line in trace.read_text().splitlines()]
    assert rows and all(len(row) == 10 for row in rows)
    assert 0 < sum(row[3] for row in rows) <= 60  # first attempts seen, the last window open
    assert all(row[1] == 0 for row in rows)  # a receiver that keeps up is never paced
    shown = subprocess.run(
        [sys.executable, str(PACE_TRACE), "--show", str(trace)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert shown.splitlines()[-1].startswith("cuts 0 (0 without warning)")


def test_writer_cost_replays_a_stream_s_transactions_and_counts_its_pages() -> None:
    """Each send is one message row and, in the stream's time, up to three attempt rows
    (its three callbacks); a commit adds whole pages to the write-ahead log; the rows of
    dropped messages are swept."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "writer_cost.py"), "3000"],
        capture_output=True, text=True, timeout=120, cwd=BENCH.parent,
    )  # fmt: skip
    assert result.returncode == 0, result
    head, *steps, end = result.stdout.splitlines()
    pages = float(head.split(" measured: ")[1].split(" pages")[0])
    assert 1 <= pages <= 20, head
    rows = {line.split(": ", 1)[1]: float(line.split(", ")[1].split(" rows")[0]) for line in steps}
    assert rows[_WHOLE] == 1.0
    assert 2.5 <= rows[ATTEMPT_ROWS] <= 3.0
    assert rows["COMMIT"] == 0
    # the oldest two thirds were dropped: the sweep keeps the table near what counts
    held, counted = (int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", end))
    assert counted < held <= 2 * counted, end
