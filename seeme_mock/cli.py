"""``seeme-mock``: the command line, a thin layer that reads settings and runs the server.

Every ``serve`` option is derived from the settings' one description
(:data:`~seeme_mock.core.config.GATEWAY_SETTINGS` and
:data:`~seeme_mock.server.options.SERVE_SETTINGS`): its type, default, help and checks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import ssl
import sys
import urllib.request
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .core.clock import ManualClock, RealClock
from .core.config import GATEWAY_SETTINGS, GatewayConfig
from .core.errors import ConfigError, ScenarioError
from .core.export import journal_chunks
from .core.gateway import Gateway
from .core.magic import shadowed_magic
from .core.scenario_files import load_scenario_files
from .core.settings import Setting, build
from .server.collector import collect_by_the_clock
from .server.guard import AdminAccess, is_loopback
from .server.journal import SqliteJournal
from .server.logs import OneLineFormatter
from .server.mock_server import MockServer
from .server.options import SERVE_SETTINGS, ServeOptions
from .server.tls import own_certificate, test_certificate

__all__ = ["main"]


def _version() -> str:
    try:
        return version("seeme-mock")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown (not installed)"


def _reader(setting: Setting) -> Callable[[str], Any]:
    """argparse's ``type``: the setting's own reading and checks, its message kept."""

    def read(raw: str) -> Any:
        try:
            return setting.kind.parse(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return read


def _add_option(group: argparse._ArgumentGroup, setting: Setting) -> None:
    if isinstance(setting.default, bool):
        negated = setting.flag.startswith("--no-")
        group.add_argument(
            setting.flag,
            dest=setting.name,
            action="store_false" if negated else "store_true",
            help=f"switch off: {setting.help} (default: on)"
            if negated
            else f"{setting.help} (default: off)",
        )
    elif setting.repeatable:
        group.add_argument(
            setting.flag,
            dest=setting.name,
            action="append",
            # scenario files are read once all are known, to report every problem together
            type=str if setting.name == "scenarios" else _reader(setting),
            metavar=setting.kind.metavar,
            help=f"{setting.help} (repeatable; default: {setting.show_default()})",
        )
    else:
        group.add_argument(
            setting.flag,
            dest=setting.name,
            type=_reader(setting),
            default=setting.default,
            metavar=setting.kind.metavar,
            help=f"{setting.help} (default: {setting.show_default()})",
        )


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The command line, and its ``serve`` part (whose errors name it)."""
    parser = argparse.ArgumentParser(
        prog="seeme-mock", description="A stand-in for the SeeMe SMS Gateway, for tests."
    )
    parser.add_argument("--version", action="version", version=f"seeme-mock {_version()}")
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
    serve = commands.add_parser(
        "serve",
        help="run the gateway as an HTTP server",
        description="Run the gateway as an HTTP server. A bad value is refused at start.",
    )
    groups: dict[str, argparse._ArgumentGroup] = {}
    for setting in (*SERVE_SETTINGS, *GATEWAY_SETTINGS):
        if setting.group not in groups:
            groups[setting.group] = serve.add_argument_group(setting.group)
        _add_option(groups[setting.group], setting)
    return parser, serve


def _values(args: argparse.Namespace, settings: Sequence[Setting]) -> dict[str, Any]:
    """What the command line set, by setting name; repeated flags joined."""
    values: dict[str, Any] = {}
    for setting in settings:
        value = getattr(args, setting.name)
        if setting.repeatable:
            if value is None:
                continue
            if setting.name == "scenarios":
                value = load_scenario_files(value)
            else:  # each flag gave a frozenset or a tuple: one of the same kind, in order
                value = type(value[0])(item for given in value for item in given)
        values[setting.name] = value
    return values


async def _serve(server: MockServer) -> None:
    _raise_file_limit()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await server.start()
    except OSError as exc:
        print(
            f"seeme-mock cannot listen on {server.host}:{server.port}: "
            f"{exc.strerror or exc}; choose another --port (0 picks a free one) or --host",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    print(f"seeme-mock listening on {server.url}/gateway", flush=True)
    collector = asyncio.create_task(collect_by_the_clock(lambda: server.sends_answered))
    await stop.wait()
    collector.cancel()
    pending = await server.stop()
    print(f"seeme-mock stopped; {pending} callbacks were still pending", flush=True)


def _raise_file_limit() -> None:
    """Many SUT connections and callback lanes at once need file descriptors: take the
    hard limit the system allows instead of the soft default (often 1,024)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _tls(options: ServeOptions) -> ssl.SSLContext | None:
    if (options.tls_cert is None) != (options.tls_key is None):
        raise ssl.SSLError("give both --tls-cert and --tls-key")
    if options.tls_cert is not None and options.tls_key is not None:
        return own_certificate(options.tls_cert, options.tls_key)
    if not options.tls or options.tls_ca_out is None:
        return None
    context = test_certificate(options.host, options.tls_ca_out)
    print(
        f"seeme-mock CA certificate: {options.tls_ca_out.resolve()} (have the SUT trust it: "
        "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS)",
        flush=True,
    )
    return context


def _admin_access(options: ServeOptions) -> AdminAccess:
    """Bound to anything but loopback, the admin API gets a token unless told otherwise."""
    token = options.admin_token or os.environ.get("SEEME_MOCK_ADMIN_TOKEN") or None
    loopback = is_loopback(options.host)
    if token is None and not loopback and not options.admin_open:
        token = secrets.token_urlsafe(24)
        print(
            f"seeme-mock admin token: {token} (the admin API wants Authorization: Bearer "
            f"{token}; the page: /?token={token}; --admin-open serves them without one)",
            flush=True,
        )
    return AdminAccess(token=token, loopback=loopback, allowed_hosts=options.allowed_hosts)


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
        try:
            journal = SqliteJournal(args.journal)
        except ConfigError as exc:
            print(f"seeme-mock export: {exc}", file=sys.stderr)
            return 1
        saved = journal.load()
        journal.close()
        gateway = Gateway(GatewayConfig(max_messages=len(saved.messages) + 1), RealClock())
        gateway.restore(saved.messages, saved.rejections, saved.inbound)
        data = "".join(journal_chunks(gateway)).encode()
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
    for warning in shadowed_magic(scenarios):
        print(warning)
    return 0


def _flag(name: str | None) -> str:
    known = {s.name: s.flag for s in (*SERVE_SETTINGS, *GATEWAY_SETTINGS)}
    return known.get(name or "", "a setting")


def main(argv: Sequence[str] | None = None) -> int:
    parser, serve = _parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args.paths)
    if args.command == "export":
        return _export(args)
    try:
        config = build(GatewayConfig, _values(args, GATEWAY_SETTINGS), GATEWAY_SETTINGS)
        options = build(ServeOptions, _values(args, SERVE_SETTINGS), SERVE_SETTINGS)
        journal = SqliteJournal(options.journal) if options.journal else None
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        print(
            "seeme-mock serve: the scenarios above are invalid; fix them and start again",
            file=sys.stderr,
        )
        return 1
    except ConfigError as exc:
        serve.error(f"argument {_flag(exc.setting)}: {exc}")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(OneLineFormatter())
    logging.basicConfig(
        level=logging.WARNING if options.quiet else logging.INFO, handlers=[handler]
    )
    try:
        ssl_context = _tls(options)
    except (OSError, ssl.SSLError) as exc:
        serve.error(f"cannot use the TLS certificate: {exc}")
    server = MockServer(
        config,
        admin=_admin_access(options),
        ssl_context=ssl_context,
        clock=ManualClock() if options.clock == "manual" else None,
        host=options.host,
        port=options.port,
        connections=options.connections,
        max_backlog=options.max_backlog,
        journal=journal,
        header_timeout=options.header_timeout,
    )
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(server))
    else:
        uvloop.run(_serve(server))
    return 0
