"""Microseconds per send and per callback URL in the engine alone (no sockets): where the
send path's cost is, without the HTTP layers around it.

usage: python bench/send_path.py [SENDS=20000]
"""

from __future__ import annotations

import sys
import time

from seeme_mock.core.clock import ManualClock
from seeme_mock.core.config import GatewayConfig
from seeme_mock.core.gateway import Gateway
from seeme_mock.core.protocol import parse_params
from seeme_mock.core.records import Attempt

KEY = "c2415537c8fca33feab37f0017faddf1fe5a"  # SeeMe's documented example key
QUERY = (
    f"key={KEY}&number=36301234567&message=Hello+world&reference=r{{}}&callback=3,4,6"
    "&callbackurl=http%3A%2F%2F127.0.0.1%3A19090%2Fcb&format=json"
)


def main(sends: int) -> None:
    clock = ManualClock()
    gateway = Gateway(GatewayConfig(max_messages=sends * 2), clock)
    started = time.perf_counter()
    for n in range(sends):
        gateway.handle(parse_params(QUERY.format(n)), "127.0.0.1")
    per_send = (time.perf_counter() - started) / sends
    started = time.perf_counter()
    urls = 0
    while (due := gateway.next_due()) is not None:
        gateway.move_clock_to(due)
        for dispatch in gateway.collect_due():
            urls += 1
            gateway.record(dispatch.delivery, Attempt(due, 200, None, 0.001))
    per_url = (time.perf_counter() - started) / urls
    print(
        f"{sends} sends: {per_send * 1e6:.1f} us per send (parse and handle); {urls} "
        f"callbacks: {per_url * 1e6:.1f} us each (fall due, URL, answer recorded)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
