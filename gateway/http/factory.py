"""Build the app from the environment: the entry point uvicorn workers import.

``tandem serve`` validates its options, then passes them to each worker process through
``TANDEM_*`` environment variables.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from ..executor.transport import AiohttpTransport
from ..pipeline import Gateway
from ..supergraph import load_supergraph
from .app import create_app

__all__ = ["app_from_environment"]


def app_from_environment() -> Starlette:
    supergraph = load_supergraph(os.environ["TANDEM_SUPERGRAPH"])
    timeout = float(os.environ.get("TANDEM_SUBGRAPH_TIMEOUT", "30"))
    max_body = int(os.environ.get("TANDEM_MAX_BODY_BYTES", "1000000"))
    gateway = Gateway(supergraph, transport=AiohttpTransport(timeout=timeout))
    return create_app(gateway, max_body_bytes=max_body)
