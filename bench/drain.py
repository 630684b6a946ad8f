"""How fast callbacks that are already due go out: CPU per callback through the server's
whole callback path (scheduler, report URL, dispatcher, keep-alive client, the answer
recorded), on uvloop as in the server, to a raw keep-alive receiver in another process.

Under the load bench a mock that lost the CPU for a while (the machine's other processes
take it) must catch up while the callbacks of the sends it took before still fall due:
how fast it drains is what bounds how late they get (bench/RESULTS.md, the tenth pass).
The peer, in the same run: the reference mock's way (a queue, 32 tasks, its minimal
client), which keeps nothing and never retries.

usage: python bench/drain.py [MESSAGES=20000]   (3 callbacks each)
       python bench/drain.py --instructions [MESSAGES=2000]   (valgrind: bench/callgrind.py)

The second form counts instructions instead: a drain of 2*MESSAGES less one of MESSAGES,
less the sends alone (taken, never sent) likewise, per callback; and the sends' own per
send. The per-send count holds to 0.4%. The per-callback count moves by a few percent
from run to run (how the callbacks batch depends on timing), though far less than a
time does: repeat it before trusting a step of 3%.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from callgrind import instructions, need_valgrind
from send_path import SEND_TO
from senders import SINK, loop_runner, minimal

from seeme_mock.core.config import GatewayConfig
from seeme_mock.core.protocol import parse_params
from seeme_mock.core.scenario import Step
from seeme_mock.server.runtime import Runtime


async def seeme_mock(base: str, messages: int, drain: bool = True) -> float:
    """Seconds of this thread's CPU to deliver every callback of ``messages`` sends whose
    statuses are all due at once (``drain`` False: the sends are taken, nothing is sent)."""
    runtime = Runtime(GatewayConfig(progression=(Step(3, 0.0), Step(4, 0.0), Step(6, 0.0))))
    url = f"{base}/cb".replace(":", "%3A").replace("/", "%2F")
    for n in range(messages):
        runtime.gateway.handle(parse_params(SEND_TO.format(n, url)), "127.0.0.1")
    started = time.thread_time()
    if drain:
        runtime.start_sending()
    while drain and runtime.gateway.count_pending_callbacks():  # reads every message: 1%
        await asyncio.sleep(0.1)  # waiting idle is no CPU
    spent = time.thread_time() - started
    await runtime.stop()
    return spent


async def reference(base: str, messages: int) -> float:
    """The same callbacks, sent as the reference mock sends them."""
    send, close = await minimal()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for n in range(messages):
        for code in (3, 4, 6):
            queue.put_nowait(f"{base}/cb?reference=r{n}&number=36301234567&code={code}")

    async def sender() -> None:
        while not queue.empty():
            await send(queue.get_nowait())

    started = time.thread_time()
    await asyncio.gather(*(sender() for _ in range(32)))
    spent = time.thread_time() - started
    await close()
    return spent


def with_sink(measure: Callable[[str], None]) -> None:
    """``measure(base URL)`` while a raw keep-alive receiver runs in another process; the
    collector as the server runs it (seeme_mock.server.collector)."""
    logging.getLogger("seeme_mock").setLevel(logging.ERROR)  # "go out late": sure
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        base = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        gc.freeze()
        gc.disable()
        measure(base)
    finally:
        sink.terminate()


def main(messages: int) -> None:
    run = loop_runner()

    def measure(base: str) -> None:
        ours = run(seeme_mock(base, messages)) / (3 * messages) * 1e6
        peer = run(reference(base, messages)) / (3 * messages) * 1e6
        print(
            f"{3 * messages} callbacks due at once: seeme-mock {ours:.1f} us of CPU each, "
            f"the reference's way {peer:.1f} us ({ours / peer:.2f}x)"
        )

    with_sink(measure)


def count_instructions(messages: int) -> None:
    need_valgrind("bench/drain.py --instructions")

    def count(what: str, messages: int) -> int:
        return instructions(__file__, "--stream", what, str(messages))

    sends = count("sends", 2 * messages) - count("sends", messages)
    drained = count("drain", 2 * messages) - count("drain", messages) - sends
    print(
        f"{drained / (3 * messages):,.0f} instructions per callback drained, "
        f"{sends / messages:,.0f} per send taken"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--stream"]:
        what, messages = sys.argv[2], int(sys.argv[3])
        with_sink(lambda base: loop_runner()(seeme_mock(base, messages, what == "drain")))
    elif sys.argv[1:2] == ["--instructions"]:
        count_instructions(int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
