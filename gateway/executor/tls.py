"""TLS from the gateway to its subgraphs: which CAs to trust, which client certificate to show.

Subgraph URLs that start with ``https://`` are verified against ``subgraph_ca_file`` (the
deploy's own CA, made by ``tandem keys provision``) or, without one, the system's trust store;
with ``subgraph_client_cert_file`` and ``subgraph_client_key_file`` the gateway also proves
itself with a client certificate (mutual TLS: a subgraph started with
``TANDEM_TLS_CLIENT_CA_FILE`` completes no handshake without one). TLS 1.2 is the floor.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from ..errors import TandemError

__all__ = ["subgraph_ssl_context"]


def subgraph_ssl_context(
    ca_file: Path | None, cert_file: Path | None, key_file: Path | None
) -> ssl.SSLContext | None:
    """The context for https:// subgraphs, or None when nothing is configured (the system's
    trust store, no client certificate: the HTTP client's own default)."""
    if (cert_file is None) != (key_file is None):
        raise TandemError(
            "settings subgraph_client_cert_file and subgraph_client_key_file go together"
        )
    if ca_file is None and cert_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as error:
            raise TandemError(
                f"setting subgraph_ca_file: cannot use {ca_file}: {_why(error)}"
            ) from None
    if cert_file is not None and key_file is not None:
        try:
            context.load_cert_chain(str(cert_file), str(key_file))
        except (OSError, ssl.SSLError) as error:
            raise TandemError(
                f"setting subgraph_client_cert_file: cannot use {cert_file} with its key: "
                f"{_why(error)}"
            ) from None
    return context


def _why(error: OSError) -> str:
    """What went wrong, never the file's content (a key file may hold a secret)."""
    reason = getattr(error, "reason", None)  # ssl.SSLError: PEM_LIB, KEY_VALUES_MISMATCH...
    return str(reason or error.strerror or type(error).__name__)
