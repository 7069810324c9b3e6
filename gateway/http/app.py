"""The Starlette application: GraphQL over HTTP at ``/graphql``, ``/health`` and ``/ready``,
the page at ``/`` (``home.py``).

Every answer is coded: request errors and GraphQL errors here, anything unexpected (a 500
with the request id), Starlette's 404/405 and a client gone mid-request in ``guard.py``, slow
or oversized requests and too many connections in ``server.py`` (uvicorn's protocol).

Follows the GraphQL-over-HTTP draft: POST with a JSON body (``query``, ``variables``,
``operationName``, ``extensions``; read by ``gateway/graphql_request.py``, like every GraphQL
endpoint), GET with query parameters for queries only; answers
``application/graphql-response+json`` when the client accepts it (request errors then get 4xx
statuses) and ``application/json`` otherwise (request errors with status 200 but for
unparseable requests, as the spec allows).

A POST may also be a GraphQL multipart request carrying files (``gateway/uploads``: the
multipart request specification, with a preflight header required as Apollo does), and
``/files/<subgraph>/<id>`` serves the files subgraphs keep to those who may read them.

An operation may name a persisted document instead of sending it (``gateway/persisted``:
APQ, trusted-document manifests), and a POST may carry a batch of operations
(``batching.py``), answered by a list in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import orjson
from graphql import print_schema
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from tandem_shared.tokens import Principal

from ..auth.bearer import AuthenticationError
from ..auth.browser_safety import CORSAllowList, check_preflight
from ..auth.dev_identity import DevIdentity
from ..auth.identify import Caller, Identifier
from ..auth.integrators import RateLimited
from ..auth.routes import SSO
from ..authz.plan_permission import MayPlan
from ..errors import RequestError, TandemError
from ..graphql_request import (
    MAX_BODY_BYTES,
    GraphQLRequest,
    graphql_request_of,
    read_graphql_body,
)
from ..persisted import (
    NO_CACHE,
    PersistedOperations,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
)
from ..pipeline import Gateway
from ..planner.overrides import parse_label_header
from ..reload import SupergraphReloader
from ..shared_state import ServiceUnavailable
from ..subscriptions import StreamingEndpoint, SubscriptionLimits, WebSocketEndpoint, framing_of
from ..subscriptions.endings import Endings
from ..telemetry import Observation, Telemetry, observing
from ..uploads.downloads import download_route
from ..uploads.receive import UploadRequest, is_multipart, read_upload_request
from .batching import Batching
from .guard import RequestGuard, http_exception, request_id_of
from .home import home_route
from .incremental import accepts_incremental, incremental_response
from .plan import plan_route

__all__ = ["create_app"]

log = logging.getLogger("tandem.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class _RunOptions(TypedDict):
    """The keyword arguments ``Gateway.execute`` and ``execute_incrementally`` share, as one
    request gives them (``options`` in :func:`create_app`)."""

    principal: Principal | None
    allowed_kinds: tuple[str, ...]
    override_labels: tuple[str, ...]
    client_headers: Mapping[str, str]


def create_app(
    gateway: Gateway,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    path: str = "/graphql",
    dev_identity: DevIdentity | None = None,
    identifier: Identifier | None = None,
    sso: SSO | None = None,
    cors_origins: Sequence[str] = (),
    extra_routes: Sequence[BaseRoute] = (),
    override_label_header: str = "",
    persisted: PersistedOperations | None = None,
    batching: Batching | None = None,
    reloader: SupergraphReloader | None = None,
    telemetry: Telemetry | None = None,
    upload_max_bytes: int | None = None,
    subscription_limits: SubscriptionLimits | None = None,
    subscription_init_timeout: float = 10.0,
    subscription_recheck: float = 30.0,
    subscription_endings: Endings | None = None,
    plan_permission: MayPlan | None = None,
) -> Starlette:
    """Build the ASGI app serving ``gateway``; ``identifier`` says who each request is;
    ``override_label_header`` names the header carrying progressive-override labels;
    ``persisted`` resolves persisted operations (default: none kept, any document runs);
    ``batching`` says whether a POST may carry several operations; ``reloader`` swaps in a
    changed supergraph's gateway (each request keeps the gateway it started with);
    ``telemetry`` observes each operation (default: its log line only);
    ``upload_max_bytes``: accept GraphQL multipart uploads of files up to that size and serve
    ``/files/...`` downloads (``gateway/uploads``; None: neither); ``subscription_limits``:
    subscriptions at once per connection and per caller, over WebSocket (``graphql-transport-ws``
    at ``path``), Server-Sent Events and multipart HTTP (``gateway/subscriptions``), whose
    WebSocket clients have
    ``subscription_init_timeout`` seconds to send ``connection_init``, and whose credentials
    are checked again every ``subscription_recheck`` seconds, or at once when
    ``subscription_endings`` (shared by replicas) announces their caller ended;
    ``plan_permission``: who may ask ``POST /plan`` for plans (``plan.py``; None: nobody)."""
    telemetry = telemetry if telemetry is not None else Telemetry()
    if identifier is None and dev_identity is not None:
        identifier = Identifier(dev_identity=dev_identity)
    documents = persisted if persisted is not None else PersistedOperations()
    batches = batching if batching is not None else Batching()
    gateways = reloader.gateways if reloader is not None else None

    def current() -> Gateway:
        """The gateway for a request starting now."""
        return gateways.current if gateways is not None else gateway

    def options(request: Request, caller: Caller) -> _RunOptions:
        """What each operation of ``request`` runs with: ``caller``'s principal, only queries
        over GET, the progressive-override labels its header names, its headers."""
        return _RunOptions(
            principal=caller.principal,
            allowed_kinds=("query",) if request.method == "GET" else ("query", "mutation"),
            override_labels=parse_label_header(request.headers.get(override_label_header))
            if override_label_header
            else (),
            client_headers=request.headers,
        )

    async def run(
        request: Request,
        caller: Caller,
        asked: GraphQLRequest,
        uploads: UploadRequest | None = None,
    ) -> dict[str, Any]:
        """One operation: its document resolved, then run for ``caller`` (with the files of
        a multipart request, ``uploads``)."""
        resolved = await documents.resolve(asked, caller.trusted_documents)
        result = await current().execute(
            resolved.query,
            asked.variables,
            asked.operation_name,
            **options(request, caller),
            uploads=uploads,
        )
        await documents.remember(resolved)  # an APQ registration, once it has validated
        return result

    async def run_incremental(
        request: Request, caller: Caller, asked: GraphQLRequest
    ) -> dict[str, Any] | AsyncIterator[dict[str, Any]]:
        """``run`` for a client that reads incremental responses (``@defer``,
        ``incremental.py``): a query with deferred fragments gives its results one by one."""
        resolved = await documents.resolve(asked, caller.trusted_documents)
        result = await current().execute_incrementally(
            resolved.query, asked.variables, asked.operation_name, **options(request, caller)
        )
        await documents.remember(resolved)
        return result

    async def identify(request: Request, operations: int) -> Caller:
        return await identifier.caller(request, operations) if identifier else Caller(None)

    async def resolve(asked: GraphQLRequest, caller: Caller) -> str:
        return (await documents.resolve(asked, caller.trusted_documents)).query

    limits = subscription_limits if subscription_limits is not None else SubscriptionLimits()
    websocket = WebSocketEndpoint(
        current,
        identify,
        resolve,
        limits,
        allowed_origins=cors_origins,
        init_timeout=subscription_init_timeout,
        recheck=subscription_recheck,
        max_message_bytes=max_body_bytes,
        endings=subscription_endings,
    )
    stream = StreamingEndpoint(
        current,
        identify,
        resolve,
        limits,
        lambda request, error: _refusal(request, error, GRAPHQL_RESPONSE),
        max_body_bytes=max_body_bytes,
        recheck=subscription_recheck,
        endings=subscription_endings,
    )

    async def graphql(request: Request) -> Response:
        """One GraphQL request, observed (``gateway/telemetry``) from arrival to answer."""
        framing = framing_of(request)  # SSE, multipart (gateway/subscriptions/streaming.py)
        if framing is not None:
            return await stream(request, framing)
        observed = telemetry.begin(request, request_id_of(request))
        try:
            with observing(observed):
                response, single = await respond(request, observed)
        except BaseException:
            observed.refused("INTERNAL_SERVER_ERROR")
            telemetry.finish(observed, 500)
            raise
        telemetry.finish(observed, response.status_code, counted=single)
        return response

    async def respond(request: Request, observed: Observation) -> tuple[Response, bool]:
        """The answer, and whether it answers one operation (not a batch)."""
        media_type = _response_type(request)
        if upload_max_bytes is not None and request.method == "POST" and is_multipart(request):
            return await upload(request, observed, media_type, upload_max_bytes), True
        try:
            body = await read_graphql_body(request, max_body_bytes)
            if isinstance(body, list):
                return await batch(request, batches.operations(body), media_type, observed), False
            asked = graphql_request_of(body, persisted=True)
            caller = await identifier.caller(request) if identifier else Caller(None)
            observed.subject = caller.principal.subject if caller.principal else None
            if accepts_incremental(request):
                answer = await run_incremental(request, caller, asked)
                if not isinstance(answer, dict):  # deferred fragments: a multipart answer
                    first = await anext(answer)
                    observed.answered(first)
                    return incremental_response(first, answer), True
                result = answer
            else:
                result = await run(request, caller, asked)
        except TandemError as error:
            observed.refused(error.code)
            return _refusal(request, error, media_type), True
        observed.answered(result)
        return _json(result, 200, media_type), True

    async def upload(
        request: Request, observed: Observation, media_type: str, limit: int
    ) -> Response:
        """A GraphQL multipart request (``gateway/uploads``): its files spooled while read,
        forwarded with the fetch that takes them, removed once answered."""
        try:
            check_preflight(request)  # multipart/form-data is a CORS-simple content type
            # who it is first: nobody makes the gateway spool a file without being known
            caller = await identifier.caller(request) if identifier else Caller(None)
            if caller.principal is None:
                raise RequestError(
                    "uploading a file needs a signed-in caller", code="UNAUTHENTICATED", status=401
                )
            observed.subject = caller.principal.subject
            files = await read_upload_request(request, limit)
            try:
                asked = graphql_request_of(files.operation, persisted=True)
                result = await run(request, caller, asked, files)
            finally:
                await files.close()
        except TandemError as error:
            observed.refused(error.code)
            return _refusal(request, error, media_type)
        observed.answered(result)
        return _json(result, 200, media_type)

    async def batch(
        request: Request, operations: Sequence[Any], media_type: str, observed: Observation
    ) -> Response:
        """A batch: the caller identified once (each operation charged to its rate limit),
        each operation answered on its own (``batching.py``) and observed on its own."""
        caller = await identifier.caller(request, len(operations)) if identifier else Caller(None)
        observed.subject = caller.principal.subject if caller.principal else None
        indexes = {id(operation): index for index, operation in enumerate(operations)}

        async def answer(operation: Any) -> dict[str, Any]:
            each = telemetry.child(observed, indexes.get(id(operation), -1))
            with observing(each):
                try:
                    if not isinstance(operation, dict):
                        raise RequestError("each operation of a batch must be a JSON object")
                    result = await run(
                        request, caller, graphql_request_of(operation, persisted=True)
                    )
                except TandemError as error:
                    _log_failure(request, error)
                    each.refused(error.code)
                    telemetry.finish(each, 200)
                    return {"errors": [error.to_graphql()]}
                except BaseException:
                    each.refused("INTERNAL_SERVER_ERROR")
                    telemetry.finish(each, 500)
                    raise
            each.answered(result)
            telemetry.finish(each, 200)
            return result

        return _json(await batches.run(operations, answer), 200, media_type)

    async def schema(request: Request) -> Response:
        """The SDL this caller may see (all of it unless schema visibility is filtered)."""
        try:
            principal = await identifier.identify(request) if identifier else None
        except TandemError as error:
            retry = (
                {"retry-after": str(error.retry_after)}
                if isinstance(error, ServiceUnavailable)
                else None
            )
            return _json({"errors": [error.to_graphql()]}, error.status, JSON, retry)
        served = current()
        visibility = served.visibility
        sdl = visibility.sdl_for(principal) if visibility else print_schema(served.schema)
        return Response(sdl, media_type="text/plain; charset=utf-8")

    async def health(request: Request) -> Response:
        return _json({"status": "ok"}, 200, JSON)

    async def ready(request: Request) -> Response:
        report: dict[str, Any] = {"status": "ready"}
        if gateways is not None:  # the supergraph served, and a failed reload's reason
            report["supergraph"] = gateways.status.report()
        return _json(report, 200, JSON)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if identifier is not None:
            try:
                await identifier.start()  # a provider setting that cannot work stops start-up
            except BaseException:
                await gateway.close()
                if sso is not None:
                    await sso.aclose()
                raise
        watching = asyncio.create_task(reloader.run()) if reloader is not None else None
        yield
        if watching is not None:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        await current().close()
        await documents.close()
        telemetry.close()
        if sso is not None:
            await sso.aclose()

    app = Starlette(
        routes=[
            *(sso.routes() if sso is not None else ()),
            *extra_routes,
            home_route(graphql_path=path),  # after extra_routes: a console may take "/"
            Route(path, graphql, methods=["GET", "POST"]),
            WebSocketRoute(path, websocket.serve),  # graphql-transport-ws (gateway/subscriptions)
            Route("/schema", schema, methods=["GET"]),
            plan_route(
                current, identifier, plan_permission or _nobody, max_body_bytes=max_body_bytes
            ),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            *([download_route(current, identifier)] if upload_max_bytes is not None else []),
            *telemetry.routes(),  # /metrics
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_exception},  # coded 404 / 405
    )
    app.state.tandem_sso = sso
    if cors_origins:
        app.add_middleware(CORSAllowList, origins=list(cors_origins))
    app.add_middleware(RequestGuard)  # outermost: request ids, coded 500s (guard.py)
    return app


def _nobody(principal: Principal) -> bool:
    """No plans (``POST /plan``) for anyone."""
    return False


def _refusal(request: Request, error: TandemError, media_type: str) -> Response:
    """The answer to a request refused as a whole: its status, and the headers the refusal
    calls for (``Retry-After``, ``WWW-Authenticate``, ``Allow``, ``Cache-Control``)."""
    status = (
        error.status
        if media_type == GRAPHQL_RESPONSE
        or error.status in (401, 403, 405, 413, 415, 429, 503)
        or isinstance(error, RequestError)
        else 200
    )
    _log_failure(request, error)
    headers: Mapping[str, str] | None = {"allow": "POST"} if error.status == 405 else None
    if isinstance(error, (RateLimited, ServiceUnavailable)):
        headers = {"retry-after": str(error.retry_after)}
    if isinstance(error, AuthenticationError):
        headers = {"www-authenticate": error.www_authenticate}
        log.info("authentication refused: %s", error.reason)
    if isinstance(error, (PersistedQueryNotFound, PersistedQueryNotSupported)):
        headers = NO_CACHE  # the next request with this id may well succeed
    return _json({"errors": [error.to_graphql()]}, status, media_type, headers)


def _log_failure(request: Request, error: TandemError) -> None:
    if error.status >= 500 and not isinstance(error, ServiceUnavailable):
        log.error(  # an outage is logged once
            "request %s failed: %s", request_id_of(request), error.message
        )


def _json(
    body: Any, status: int, media_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)


def _response_type(request: Request) -> str:
    accept = request.headers.get("accept", "")
    if GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE
    return JSON
