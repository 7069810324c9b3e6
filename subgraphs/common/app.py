"""A subgraph's ASGI app (guarded ``POST /graphql``, open ``GET /health``) and ``serve``.

A schema with a ``Subscription`` type is also served over ``graphql-transport-ws`` at
``/graphql``, each WebSocket admitted by :mod:`subgraphs.common.subscription_gate`.

A subgraph package exposes ``build_app(settings) -> ASGIApp`` and a ``__main__`` of two lines::

    from subgraphs.common.app import serve
    serve(build_app, "oa", default_port=4201)   # python -m subgraphs.oa --port 4201

Whatever the app's ``lifespan`` yields (a dict: an engine, a session factory) is added to
every GraphQL context, next to ``request``, ``response`` and ``principal``; a subgraph with a
database and an outbox builds that lifespan with :func:`database_lifespan`.

With a policy directory in the settings (``TANDEM_SUBGRAPH_POLICY``; production's default),
the guard also runs the coarse policy check (:mod:`subgraphs.common.coarse_policy`). With a
certificate and key (``TANDEM_TLS_CERT_FILE``/``TANDEM_TLS_KEY_FILE``) ``serve`` speaks HTTPS
only, and with ``TANDEM_TLS_CLIENT_CA_FILE`` it completes no handshake without a client
certificate that CA signed (mutual TLS).
"""

from __future__ import annotations

import argparse
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Lifespan
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from subgraphs.common.coarse_policy import CoarsePolicy, OperationGuard, PolicyFileError, key_fields
from subgraphs.common.events.feed import Standing
from subgraphs.common.identity import PUBLIC_PATHS, principal_from_scope, require_gateway_identity
from subgraphs.common.live import FEED_CONTEXT_KEY, running_feed
from subgraphs.common.settings import (
    SettingsError,
    SubgraphSettings,
    gateway_public_key,
    load_settings,
)
from subgraphs.common.telemetry import (
    METRICS_PATH,
    TracingMiddleware,
    metrics_route,
    traced_lifespan,
    traced_schema,
    tracer_provider,
)
from subgraphs.common.uploads import UploadLimits
from tandem_shared.crypto_keys import KeyringError
from tandem_shared.db import create_engine, create_session_factory

__all__ = [
    "GRAPHQL_PATH",
    "HEALTH_PATH",
    "HOST",
    "create_subgraph_app",
    "database_lifespan",
    "operation_guard",
    "serve",
]

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

    async def on_ws_connect(self, context: dict[str, Any]) -> UnsetType | dict[str, object] | None:
        """The principal the subscription gate admitted at ``connection_init``
        (``subscription_gate.py``): the context was made when the socket opened, before it."""
        context["principal"] = principal_from_scope(context["request"].scope)
        return await super().on_ws_connect(context)  # an acknowledgement without payload


def create_subgraph_app(
    schema: Schema,
    name: str,
    *,
    settings: SubgraphSettings | None = None,
    public_key: str | None = None,
    lifespan: Lifespan[Starlette] | None = None,
    routes: Sequence[BaseRoute] = (),
    uploads: UploadLimits | None = None,
) -> ASGIApp:
    """Subgraph ``name``: GraphQL over HTTP at ``POST /graphql``, guarded, plus ``/health``.

    ``settings`` default to the environment's; ``public_key`` (PEM) to the gateway key
    the settings name (the development pair's, outside production); ``routes`` are served
    beside (behind the same guard); ``uploads``: accept GraphQL multipart requests, spooled
    there (``uploads.py``).
    """
    settings = load_settings(name) if settings is None else settings
    key = gateway_public_key(settings) if public_key is None else public_key
    provider = tracer_provider(name)  # OTEL_TRACES_EXPORTER (subgraphs/common/telemetry.py)
    if provider is not None:
        schema = traced_schema(schema, provider)
        lifespan = traced_lifespan(lifespan, provider)
    subscriptions = schema.subscription is not None
    graphql = _SubgraphGraphQL(
        schema,
        graphql_ide=None,
        allow_queries_via_get=False,
        multipart_uploads_enabled=uploads is not None,  # spooled and verified first (identity)
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL] if subscriptions else [],
    )

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "subgraph": name})

    app = Starlette(
        routes=[
            Route(GRAPHQL_PATH, graphql, methods=["POST"]),
            *([WebSocketRoute(GRAPHQL_PATH, graphql)] if subscriptions else []),
            Route(HEALTH_PATH, health, methods=["GET"]),
            metrics_route(),  # the event bus's lag (subgraphs/common/telemetry.py)
            *routes,
        ],
        lifespan=lifespan,
    )
    return require_gateway_identity(
        app if provider is None else TracingMiddleware(app, provider, name),
        name,
        key,
        composition_secret=settings.composition_secret,
        public_paths=PUBLIC_PATHS | {METRICS_PATH},
        guard=operation_guard(schema, settings),
        uploads=uploads,
        subscriptions=subscriptions,
    )


def database_lifespan(
    database_url: str,
    *,
    migrate: Callable[[str], Awaitable[None]],
    seed: Callable[[async_sessionmaker[AsyncSession]], Awaitable[object]] | None,
    worker: Callable[[async_sessionmaker[AsyncSession]], AbstractAsyncContextManager[object]],
    outbox_table: str,
    live_topics: Iterable[str],
    standing: Standing | None = None,
    state: Mapping[str, Any] | None = None,
) -> Lifespan[Starlette]:
    """The lifespan of a subgraph with a database: ``migrate`` it, open an engine and a session
    factory, ``seed`` it (if given), then run the event ``worker`` and the subscriptions' feed
    of ``live_topics`` in ``outbox_table`` while the app runs, reading ``standing`` with its
    events (when a subscriber's standing must be read again); the engine is disposed on exit.

    Its state (so every GraphQL context) holds ``sessions``, ``engine``, ``events`` (the
    worker), the feed (:data:`~subgraphs.common.live.FEED_CONTEXT_KEY`) and ``state``."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, Any]]:
        await migrate(database_url)
        engine = create_engine(database_url)
        sessions = create_session_factory(engine)
        try:
            if seed is not None:
                await seed(sessions)
            async with (
                worker(sessions) as events,
                running_feed(sessions, outbox_table, live_topics, standing) as feed,
            ):
                yield {
                    **(state or {}),
                    "sessions": sessions,
                    "engine": engine,
                    "events": events,
                    FEED_CONTEXT_KEY: feed,  # the subscriptions' (subgraphs/common/live.py)
                }
        finally:
            await engine.dispose()

    return lifespan


def operation_guard(schema: Schema, settings: SubgraphSettings) -> OperationGuard | None:
    """The coarse policy check for ``schema`` if the settings name a policy directory."""
    if settings.policy_dir is None:
        return None
    policy = CoarsePolicy.from_directory(settings.policy_dir)
    return OperationGuard(schema._schema, policy, key_fields(schema.as_str()))


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
        settings = load_settings(name)
        app = build_app(settings)
        _check_tls(settings)  # uvicorn would stop with a traceback
    except (SettingsError, KeyringError, PolicyFileError, OSError) as error:  # one line
        parser.exit(2, f"{parser.prog}: {error}\n")
    tls: dict[str, Any] = {}
    if settings.tls_cert_file is not None:
        tls = {"ssl_certfile": str(settings.tls_cert_file)}
        tls["ssl_keyfile"] = str(settings.tls_key_file)
        if settings.tls_client_ca_file is not None:
            tls["ssl_ca_certs"] = str(settings.tls_client_ca_file)
            tls["ssl_cert_reqs"] = ssl.CERT_REQUIRED
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, **tls)


def _check_tls(settings: SubgraphSettings) -> None:
    """Load the TLS files the settings name, as uvicorn will (errors name the variable)."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(settings.tls_cert_file), str(settings.tls_key_file))
    except (OSError, ssl.SSLError) as error:
        raise SettingsError(f"TANDEM_TLS_CERT_FILE/TANDEM_TLS_KEY_FILE: {_reason(error)}") from None
    if settings.tls_client_ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(settings.tls_client_ca_file))
        except (OSError, ssl.SSLError) as error:
            raise SettingsError(f"TANDEM_TLS_CLIENT_CA_FILE: {_reason(error)}") from None


def _reason(error: OSError) -> str:
    return str(getattr(error, "reason", None) or error.strerror or type(error).__name__)
