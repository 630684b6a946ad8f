"""``seeme-mock``: the command line, a thin layer that builds a config and runs the server."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import ssl
import sys
import urllib.request
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .core.callback import ENCODINGS
from .core.clock import ManualClock, RealClock
from .core.config import (
    DEFAULT_BALANCE,
    DEFAULT_PROGRESSION,
    ConfigError,
    GatewayConfig,
    RetryPolicy,
)
from .core.export import journal_record
from .core.gateway import Gateway
from .core.protocol import Format, Rejection, parse_callback_codes
from .core.scenario import Step
from .core.scenario_toml import ScenarioError, load_scenario_files
from .core.status import LANGUAGES
from .server.journal import SqliteJournal
from .server.runtime import MockServer
from .server.tls import own_certificate, test_certificate

__all__ = ["main"]


def _money(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount, e.g. 13.90") from None
    if not amount.is_finite() or amount < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be a non-negative amount, e.g. 13.90")
    return amount


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be a whole number of at least 1")
    return number


def _codes(value: str) -> frozenset[int]:
    try:
        return parse_callback_codes(value)
    except Rejection:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a list of status codes 1..10 like 4,6,7 (or 'all')"
        ) from None


def _delays(value: str) -> tuple[Step, ...]:
    try:
        delays = [float(part) for part in value.split(",")]
    except ValueError:
        delays = []
    if len(delays) != len(DEFAULT_PROGRESSION):
        raise argparse.ArgumentTypeError(
            f"{value!r}: give three delays in seconds after the send for statuses 3, 4 and 6, "
            "e.g. 1,2,3"
        )
    return tuple(
        Step(step.code, delay, since_send=True)
        for step, delay in zip(DEFAULT_PROGRESSION, delays, strict=True)
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seeme-mock", description="A stand-in for the SeeMe SMS Gateway, for tests."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the journal as JSON (for CI artifacts)")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8080")
    source.add_argument("--journal", type=Path, help="a journal file of serve --journal")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    check = commands.add_parser(
        "check", help="validate scenario files; prints file:line:col for each problem"
    )
    check.add_argument(
        "paths",
        nargs="*",
        default=["scenarios"],
        metavar="PATH",
        help="files or folders of *.toml (default: scenarios/)",
    )
    serve = commands.add_parser("serve", help="run the gateway as an HTTP server")
    net = serve.add_argument_group("network")
    net.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    net.add_argument("--port", type=int, default=8080, help="0 picks a free port (default 8080)")
    net.add_argument(
        "--connections",
        type=_positive,
        default=64,
        help="callback connections and sender tasks (default 64)",
    )
    net.add_argument(
        "--max-backlog",
        type=_positive,
        default=10_000,
        help="due callbacks waiting to be sent before sends get code 8",
    )
    net.add_argument(
        "--tls", action="store_true", help="serve HTTPS with a certificate from a throwaway test CA"
    )
    net.add_argument(
        "--tls-ca-out",
        type=Path,
        default=Path("seeme-mock-ca.pem"),
        metavar="PATH",
        help="where --tls writes its CA certificate (default ./seeme-mock-ca.pem)",
    )
    net.add_argument("--tls-cert", type=Path, metavar="PEM", help="your own certificate")
    net.add_argument("--tls-key", type=Path, metavar="PEM", help="its private key")
    net.add_argument(
        "--clock",
        choices=["real", "manual"],
        default="real",
        help="manual: time moves only by POST /__admin/clock/advance",
    )
    net.add_argument("--quiet", action="store_true", help="no line per send and callback")

    account = serve.add_argument_group("account")
    account.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY",
        help="accept only this API key (repeatable); default: any key that "
        "passes the official client's checksum",
    )
    account.add_argument(
        "--sender",
        action="append",
        metavar="ID",
        dest="senders",
        help="approved sender ID (repeatable); default: any well-formed one",
    )
    account.add_argument(
        "--allow-ip",
        action="append",
        default=[],
        metavar="IP",
        help="only these client addresses may send (repeatable)",
    )
    account.add_argument(
        "--balance",
        type=_money,
        default=DEFAULT_BALANCE,
        help="starting balance (default 1000000000: a load run never runs dry)",
    )
    account.add_argument("--currency", default="HUF")
    account.add_argument(
        "--unit-price",
        type=_money,
        default=Decimal("13.90"),
        help="price of one SMS part (default 13.90)",
    )
    account.add_argument(
        "--default-format",
        choices=[f.value for f in Format],
        default="string",
        help="answer format when a send names none",
    )
    account.add_argument(
        "--max-parts",
        type=int,
        default=3,
        help="longest message in parts (default 3: 459 GSM-7 / 201 UCS-2)",
    )

    scenarios = serve.add_argument_group("scenarios")
    scenarios.add_argument(
        "--scenarios",
        action="append",
        default=[],
        metavar="PATH",
        help="scenario file or folder (repeatable, in precedence order)",
    )
    scenarios.add_argument(
        "--seed", type=int, default=0, help="seed for branches and jitter (default 0)"
    )
    net.add_argument(
        "--journal",
        type=Path,
        metavar="PATH",
        help="keep the journal in SQLite; a restart resumes pending callbacks",
    )
    net.add_argument(
        "--max-messages",
        type=_positive,
        default=100_000,
        help="messages kept in memory; the oldest finished ones go first",
    )
    scenarios.add_argument(
        "--no-magic-numbers", action="store_true", help="switch off the built-in magic test numbers"
    )

    callbacks = serve.add_argument_group("callbacks")
    callbacks.add_argument("--callback-url", help="where callbacks go when a send names no URL")
    callbacks.add_argument(
        "--callback-codes",
        type=_codes,
        default=frozenset(),
        help="codes reported when a send names none, e.g. 4,6,7 or all",
    )
    callbacks.add_argument(
        "--delays",
        type=_delays,
        default=DEFAULT_PROGRESSION,
        help="seconds after the send of statuses 3, 4, 6 (default 1,2,3)",
    )
    callbacks.add_argument("--language", choices=LANGUAGES, default="en")
    callbacks.add_argument(
        "--encoding",
        choices=ENCODINGS,
        default="iso-8859-2",
        help="charset of the percent-encoded text (default iso-8859-2)",
    )
    callbacks.add_argument("--timezone", default="Europe/Budapest")
    callbacks.add_argument(
        "--timestamp",
        choices=["status", "attempt"],
        default="status",
        help="timestamp of the status (default) or of each attempt",
    )
    callbacks.add_argument("--no-mccmnc", action="store_true", help="never send mccmnc")
    callbacks.add_argument("--retry-attempts", type=int, default=6)
    callbacks.add_argument(
        "--retry-delay",
        type=float,
        default=4.0,
        help="seconds before the first retry, doubling after (default 4)",
    )
    callbacks.add_argument("--retry-factor", type=float, default=2.0)
    callbacks.add_argument(
        "--callback-timeout",
        type=float,
        default=5.0,
        help="seconds to wait for the SUT's answer (default 5)",
    )
    return parser


def _config(args: argparse.Namespace) -> GatewayConfig:
    return GatewayConfig(
        scenarios=load_scenario_files(args.scenarios),
        magic_numbers=not args.no_magic_numbers,
        seed=args.seed,
        max_messages=args.max_messages,
        keys=frozenset(args.key),
        allowed_senders=frozenset(args.senders) if args.senders else None,
        allowed_ips=frozenset(args.allow_ip),
        balance=args.balance,
        currency=args.currency,
        unit_price=args.unit_price,
        default_format=Format(args.default_format),
        callback_url=args.callback_url,
        callback_codes=args.callback_codes,
        language=args.language,
        encoding=args.encoding,
        timezone=args.timezone,
        send_mccmnc=not args.no_mccmnc,
        progression=args.delays,
        retry=RetryPolicy(
            attempts=args.retry_attempts,
            first_delay=args.retry_delay,
            factor=args.retry_factor,
            timeout=args.callback_timeout,
        ),
        max_parts=args.max_parts,
        timestamp=args.timestamp,
    )


async def _serve(server: MockServer) -> None:
    # Tens of thousands of long-lived messages make the default collector's passes costly
    # under load (measured with bench/compare.sh: sends/s fell from 1,695 to 1,612 over 52k
    # messages; with these thresholds it held at about 1,810): collect less often.
    gc.set_threshold(50_000, 50, 1000)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await server.start()
    except OSError as exc:
        print(
            f"seeme-mock cannot listen on {server.host}:{server.port}: {exc.strerror}; "
            "choose another --port (0 picks a free one)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    print(f"seeme-mock listening on {server.url}/gateway", flush=True)
    await stop.wait()
    pending = await server.stop()
    print(f"seeme-mock stopped; {pending} callbacks were still pending", flush=True)


def _tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ssl.SSLError("give both --tls-cert and --tls-key")
    if args.tls_cert is not None:
        return own_certificate(args.tls_cert, args.tls_key)
    if not args.tls:
        return None
    context = test_certificate(args.host, args.tls_ca_out)
    print(
        f"seeme-mock CA certificate: {args.tls_ca_out.resolve()} (have the SUT trust it: "
        "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS)",
        flush=True,
    )
    return context


def _export(args: argparse.Namespace) -> int:
    if args.url:
        url = args.url.rstrip("/") + "/__admin/journal"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                data = response.read()
        except OSError as exc:
            print(f"seeme-mock export: cannot read {url}: {exc}", file=sys.stderr)
            return 1
    else:
        if not args.journal.is_file():
            print(f"seeme-mock export: no journal at {args.journal}", file=sys.stderr)
            return 1
        journal = SqliteJournal(args.journal)
        saved = journal.load()
        journal.close()
        gateway = Gateway(GatewayConfig(max_messages=len(saved.messages) + 1), RealClock())
        gateway.restore(saved.messages, saved.rejections)
        data = json.dumps(journal_record(gateway), ensure_ascii=False, indent=1).encode()
    if args.output:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data + b"\n")
    return 0


def _check(paths: list[str]) -> int:
    try:
        scenarios = load_scenario_files(paths)
    except ScenarioError as exc:
        print(exc)
        return 1
    print(f"{len(scenarios)} scenarios OK")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args.paths)
    if args.command == "export":
        return _export(args)
    try:
        config = _config(args)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        print(
            "seeme-mock serve: the scenarios above are invalid; fix them and start again",
            file=sys.stderr,
        )
        return 1
    except ConfigError as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stdout,
    )
    try:
        ssl_context = _tls(args)
    except (OSError, ssl.SSLError) as exc:
        parser.error(f"cannot use the TLS certificate: {exc}")
    server = MockServer(
        config,
        ssl_context=ssl_context,
        clock=ManualClock() if args.clock == "manual" else None,
        host=args.host,
        port=args.port,
        connections=args.connections,
        max_backlog=args.max_backlog,
        journal=SqliteJournal(args.journal) if args.journal else None,
    )
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(server))
    else:
        uvloop.run(_serve(server))
    return 0
