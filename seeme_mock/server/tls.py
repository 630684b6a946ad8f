"""HTTPS for SUTs whose client library hard-codes ``https://`` and lets only the host change.

A throwaway certificate authority (trustme) signs a certificate for the loopback
names; its CA file is written where the SUT can be told to trust it.
"""

from __future__ import annotations

import ssl
from pathlib import Path

__all__ = ["own_certificate", "test_certificate"]


def test_certificate(host: str, ca_out: Path) -> ssl.SSLContext:
    """A server context for ``host`` (and localhost, 127.0.0.1, ::1) signed by a new test CA,
    whose certificate is written to ``ca_out``."""
    import trustme

    authority = trustme.CA(organization_name="seeme-mock test CA")
    names = dict.fromkeys([host, "localhost", "127.0.0.1", "::1"])
    certificate = authority.issue_cert(*names)
    ca_out.parent.mkdir(parents=True, exist_ok=True)
    authority.cert_pem.write_to_path(str(ca_out))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    return context


def own_certificate(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
