"""How late healthy callbacks are while another receiver never answers.

    python bench/black_hole.py [HOLE_MESSAGES] [HEALTHY_MESSAGES]

Runs the real-clock server in this process twice, the peer run first: HEALTHY_MESSAGES
sends (default 500, paced over about 2.5 s) whose callbacks go to a healthy aiohttp
receiver, alone; then the same with HOLE_MESSAGES (default 200) sent first to a receiver
that accepts connections and never answers. Lateness is when the attempt started minus
when the callback was due, from the mock's own records; the answer is p50, p99 and worst
for both runs, and the ratio of the p99s.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import sys

from aiohttp import web

from seeme_mock import GatewayConfig, RetryPolicy, SeemeMock, Step

KEY = "c2415537c8fca33feab37f0017faddf1fe5a"


async def _receiver() -> tuple[web.AppRunner, str]:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="")

    app = web.Application()
    app.router.add_get("/dlr", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/dlr"


async def _send_all(url: str, count: int, callbackurl: str, pace: float) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for n in range(count):
            params = {"key": KEY, "number": "36301234567", "message": "Hi",
                      "reference": f"r{n}", "callback": "6",
                      "callbackurl": callbackurl}  # fmt: skip
            async with session.get(url + "/gateway", params=params) as reply:
                await reply.read()
            if pace:
                await asyncio.sleep(pace)


def run(holes: int, healthy: int) -> list[float]:
    config = GatewayConfig(progression=(Step(6, 0.2),), retry=RetryPolicy(attempts=1))
    hole = socket.create_server(("127.0.0.1", 0), backlog=4096)
    hole_url = f"http://127.0.0.1:{hole.getsockname()[1]}/dlr"

    async def main(mock: SeemeMock) -> None:
        runner, dlr = await _receiver()
        await _send_all(mock.url, holes, hole_url, 0.0)
        await _send_all(mock.url, healthy, dlr, 0.005)
        await asyncio.sleep(1.0)
        await runner.cleanup()

    with SeemeMock(config, clock="real") as mock:
        asyncio.run(main(mock))
        late = [
            c.attempts[0].at - c.due
            for m in mock.messages
            if m.callback_url != hole_url
            for c in m.callbacks
            if c.attempts
        ]
    hole.close()
    return late


def _figures(late: list[float]) -> str:
    ordered = sorted(late)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return (f"n={len(late)} p50={statistics.median(late) * 1000:.1f} ms "
            f"p99={p99 * 1000:.1f} ms worst={ordered[-1] * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    holes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    healthy = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    alone = run(0, healthy)
    beside = run(holes, healthy)
    print(f"healthy alone:              {_figures(alone)}")
    print(f"healthy beside {holes} black-hole messages: {_figures(beside)}")
    ratio = sorted(beside)[int(len(beside) * 0.99) - 1] / sorted(alone)[int(len(alone) * 0.99) - 1]
    print(f"p99 ratio (beside / alone): {ratio:.2f}")
