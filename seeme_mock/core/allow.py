"""Where callbacks may go: ``--callback-allow`` patterns. A pattern is a host
(``sut.internal``), a host and port (``127.0.0.1:5000``), a domain suffix (``*.test``) or
an address range in CIDR (``10.0.0.0/8``). Names are never resolved: a pattern matches
what the URL says."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["check_ip_range", "check_pattern", "ip_allowed", "permits"]

_HOST = re.compile(r"(\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_WHAT = "{!r} is not a host, host:port, *.suffix or CIDR range like 10.0.0.0/8"


@dataclass(frozen=True)
class _Rule:
    host: str | None = None
    suffix: str | None = None
    port: int | None = None
    network: Network | None = None

    def permits(self, host: str, port: int) -> bool:
        if self.port is not None and port != self.port:
            return False
        if self.network is not None:
            try:
                return ipaddress.ip_address(host) in self.network
            except ValueError:
                return False
        if self.suffix is not None:
            return host.endswith(self.suffix)
        return host == self.host


def _rule(pattern: str) -> _Rule:
    text = pattern.strip().lower()
    if "/" in text:
        try:
            return _Rule(network=ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(_WHAT.format(pattern)) from None
    host, port = text, None
    head, sep, tail = text.rpartition(":")
    if sep and tail.isdigit() and not head.endswith(":"):
        host, port = head, int(tail)
        if not 0 < port < 65536:
            raise ValueError(f"{pattern!r}: a port is 1 to 65535")
    if not _HOST.fullmatch(host):
        raise ValueError(_WHAT.format(pattern))
    host = host.strip("[]")
    if host.startswith("*."):
        return _Rule(suffix=host[1:], port=port)
    return _Rule(host=host, port=port)


def check_pattern(pattern: str) -> None:
    """ValueError saying what a pattern looks like, when ``pattern`` is none."""
    _rule(pattern)


@functools.lru_cache(maxsize=64)
def _rules(patterns: frozenset[str]) -> tuple[_Rule, ...]:
    return tuple(_rule(p) for p in patterns)


def permits(url: str, patterns: Iterable[str]) -> bool:
    """Whether a callback may go to ``url``; no patterns permit every URL."""
    allowed = frozenset(patterns)
    if not allowed:
        return True
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    return any(rule.permits(host, port) for rule in _rules(allowed))


# -- client addresses -------------------------------------------------------------------


def _range(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]:
    """(address,), (first, last) or (network address, broadcast) for CIDR."""
    text = text.strip()
    if "/" in text:
        network = ipaddress.ip_network(text, strict=False)
        return network.network_address, network.broadcast_address
    if "-" in text:
        first, last = (ipaddress.ip_address(part.strip()) for part in text.split("-", 1))
        if first.version != last.version or first > last:  # type: ignore[operator]
            raise ValueError(text)
        return first, last
    return (ipaddress.ip_address(text),)


def check_ip_range(value: str) -> None:
    try:
        _range(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an address, CIDR range or FIRST-LAST range like 192.0.2.10, "
            "192.0.2.0/24 or 0.0.0.0-255.255.255.255"
        ) from None


def ip_allowed(ip: str, ranges: Iterable[str]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for text in ranges:
        bounds = _range(text)
        first, last = bounds[0], bounds[-1]
        if first.version == address.version and first <= address <= last:  # type: ignore[operator]
            return True
    return False
