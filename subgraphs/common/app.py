"""A subgraph's ASGI app (guarded ``POST /graphql``, open ``GET /health``) and ``serve``.

A subgraph package exposes ``build_app(settings) -> ASGIApp`` and a ``__main__`` of two lines::

    from subgraphs.common.app import serve
    serve(build_app, "oa", default_port=4201)   # python -m subgraphs.oa --port 4201

Whatever the app's ``lifespan`` yields (a dict: an engine, a session factory) is added to
every GraphQL context, next to ``request``, ``response`` and ``principal``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Lifespan
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from subgraphs.common.crypto_keys import KeyringError
from subgraphs.common.identity import PUBLIC_PATHS, principal_from_scope, require_gateway_identity
from subgraphs.common.keys import gateway_public_key
from subgraphs.common.settings import SettingsError, SubgraphSettings, load_settings

__all__ = ["GRAPHQL_PATH", "HEALTH_PATH", "HOST", "create_subgraph_app", "serve"]

GRAPHQL_PATH: Final = "/graphql"
HEALTH_PATH: Final = "/health"
HOST: Final = "127.0.0.1"


class _SubgraphGraphQL(GraphQL[dict[str, Any], None]):
    """Strawberry's ASGI view with the principal and the lifespan state in its context."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        state = request.scope.get("state") or {}
        return {
            **state,
            "request": request,
            "response": response,
            "principal": principal_from_scope(request.scope),
        }


def create_subgraph_app(
    schema: Schema,
    name: str,
    *,
    settings: SubgraphSettings | None = None,
    public_key: str | None = None,
    lifespan: Lifespan[Starlette] | None = None,
) -> ASGIApp:
    """Subgraph ``name``: GraphQL over HTTP at ``POST /graphql``, guarded, plus ``/health``.

    ``settings`` default to the environment's; ``public_key`` (PEM) to the gateway key
    the settings name (the development pair's, outside production).
    """
    settings = load_settings(name) if settings is None else settings
    key = gateway_public_key(settings) if public_key is None else public_key
    graphql = _SubgraphGraphQL(schema, graphql_ide=None, allow_queries_via_get=False)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "subgraph": name})

    app = Starlette(
        routes=[
            Route(GRAPHQL_PATH, graphql, methods=["POST"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    return require_gateway_identity(
        app,
        name,
        key,
        composition_secret=settings.composition_secret,
        public_paths=PUBLIC_PATHS,
    )


def serve(
    build_app: Callable[[SubgraphSettings], ASGIApp],
    name: str,
    *,
    default_port: int,
    argv: Sequence[str] | None = None,
) -> None:
    """Parse ``[--host H] [--port N] [--log-level L]``, read settings, serve until interrupted."""
    parser = argparse.ArgumentParser(prog=f"python -m subgraphs.{name}", description=__doc__)
    parser.add_argument("--host", default=HOST, help=f"default: {HOST}")
    parser.add_argument("--port", type=int, default=default_port, help=f"default: {default_port}")
    parser.add_argument("--log-level", default="info", help="uvicorn's log level")
    args = parser.parse_args(argv)
    try:
        app = build_app(load_settings(name))
    except (SettingsError, KeyringError, OSError) as error:  # one line, never a traceback
        parser.exit(2, f"{parser.prog}: {error}\n")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
