"""The plan API: ``POST /plan`` answers the query plan and estimated cost of an operation for
the signed-in caller, without running it (``tandem plan`` over HTTP, for developers).

Apollo Router shows plans through a request header (``Apollo-Expose-Query-Plan: dry-run``) and
Cosmo Router through ``X-WG-Include-Query-Plan`` with its loader skipped; Tandem gives it a
route of its own, so a planning request can never execute by mistake and ``/graphql`` keeps
one meaning. The body is a GraphQL request (``query``, ``operationName``, ``variables``).

- *who*: the caller as ``/graphql`` identifies them (bearer token, integrator credentials, or
  the session cookie under the same CSRF rule), and only when a policy rule allows ``read`` on
  :data:`PLAN_COORDINATE` (``Gateway.queryPlan``): nobody signed in is ``UNAUTHENTICATED``
  (401); anyone else, and everyone when no policy is enforced, ``FORBIDDEN`` (403);
- *what*: the operation parsed and validated against the schema this caller sees, authorized
  and planned exactly as ``/graphql`` would (``Gateway.prepare``; the same coded errors:
  ``GRAPHQL_PARSE_FAILED``, ``GRAPHQL_VALIDATION_FAILED``...), then its estimated cost
  (``gateway/demand``); no subgraph is called;
- *the answer*: ``plan.text`` (the printed plan, as ``tandem plan`` prints it), ``plan.node``
  (the same tree as JSON, Apollo's node kinds), ``subgraphs`` (those called, in order),
  ``cost`` (``estimated``, ``max``, ``defaultListSize``, ``problems``), ``denied`` (fields
  the policy keeps from this caller, not fetched) and ``withheld`` (fetches shown without
  their operation because they name schema elements this caller cannot see,
  ``planner/redact.py``). Errors are ``{"errors": [...]}`` with the error's HTTP status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from graphql import FieldNode, Visitor, visit
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tandem_shared.tokens import Principal

from ..auth.bearer import AuthenticationError
from ..auth.identify import Identifier
from ..auth.integrators import RateLimited
from ..authz.plan_permission import PLAN_COORDINATE, MayPlan
from ..errors import OperationError, RequestError, TandemError
from ..graphql_request import MAX_BODY_BYTES, graphql_request_of, read_graphql_body
from ..pipeline import Gateway
from ..planner.plan import (
    BatchNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from ..planner.printer import print_requires
from ..planner.redact import redact_plan
from ..shared_state import ServiceUnavailable

__all__ = ["plan_route"]


def plan_route(
    current: Callable[[], Gateway],
    identifier: Identifier | None,
    may_plan: MayPlan,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Route:
    """``POST /plan`` over the gateway ``current()`` gives (module docstring)."""

    async def plan(request: Request) -> Response:
        try:
            # who first: a cross-site request is refused before its body is read
            caller = await identifier.caller(request) if identifier is not None else None
            principal = caller.principal if caller is not None else None
            if principal is None:
                raise RequestError(
                    "query plans are for signed-in callers", code="UNAUTHENTICATED", status=401
                )
            if not may_plan(principal):
                raise RequestError(
                    f"the policy does not let you see query plans ({PLAN_COORDINATE})",
                    code="FORBIDDEN",
                    status=403,
                )
            body = await read_graphql_body(request, max_body_bytes)
            if not isinstance(body, dict):
                raise RequestError("the request body must be a JSON object", code="BAD_REQUEST")
            asked = graphql_request_of(body)
            answer = await _answer(current(), principal, asked.query, asked.operation_name,
                                   asked.variables)  # fmt: skip
        except TandemError as error:
            return _refusal(error)
        return Response(orjson.dumps(answer), media_type="application/json")

    return Route("/plan", plan, methods=["POST"])


async def _answer(
    gateway: Gateway,
    principal: Principal,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> dict[str, Any]:
    """The plan and cost of one operation for ``principal``, as ``/graphql`` would plan it."""
    visibility = gateway.visibility
    if visibility is not None and not visibility.ready(principal):
        await asyncio.to_thread(visibility.schema_for, principal)  # as Gateway._run does
    parsed = gateway.document(query, principal)
    operation = gateway.operation(parsed, operation_name)
    kind = operation.operation.value
    if kind not in ("query", "mutation"):
        raise OperationError(
            f"{kind} operations are not planned here", code="OPERATION_NOT_ALLOWED"
        )
    values = gateway.coerce_variables(operation, variables)
    prepared = gateway.prepare(query, parsed, operation, values, principal, defer=kind == "query")
    _, base = gateway.normalized(query, parsed, operation, values)
    decision = gateway.authorize(base, principal)
    estimate = gateway.demand.estimate(base, values)
    schema = visibility.schema_for(principal) if visibility is not None else gateway.schema
    shown = redact_plan(
        prepared.plan, gateway.supergraph.schema, schema, _response_keys(parsed.document)
    )
    settings = gateway.demand.settings
    return {
        "plan": {"text": str(shown.plan), "node": _plan_object(shown.plan)},
        "subgraphs": _subgraphs(shown.plan),
        "cost": {
            "estimated": estimate.cost,
            "max": settings.max_cost,
            "defaultListSize": settings.default_list_size,
            "problems": list(estimate.problems),
        },
        "denied": sorted({denial.coordinate for denial in decision.denials}),
        "withheld": shown.withheld,
    }


def _refusal(error: TandemError) -> Response:
    headers: dict[str, str] | None = None
    if isinstance(error, AuthenticationError):
        headers = {"www-authenticate": error.www_authenticate}
    elif isinstance(error, RateLimited | ServiceUnavailable):
        headers = {"retry-after": str(error.retry_after)}
    return Response(
        orjson.dumps({"errors": [error.to_graphql()]}),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )


def _response_keys(document: Any) -> frozenset[str]:
    """Every response key (alias or field name) the client's document names."""
    keys: set[str] = set()

    class _Keys(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            keys.add(node.alias.value if node.alias else node.name.value)

    visit(document, _Keys())
    return frozenset(keys)


def _subgraphs(plan: QueryPlan) -> list[str]:
    """The subgraphs the plan calls, in the order it names them first."""
    names: dict[str, None] = {}

    def walk(node: PlanNode | None) -> None:
        match node:
            case SequenceNode(nodes=nodes) | ParallelNode(nodes=nodes):
                for child in nodes:
                    walk(child)
            case FlattenNode(node=fetch):
                walk(fetch)
            case BatchNode(service_name=name) | FetchNode(service_name=name):
                names.setdefault(name)

    walk(plan.node)
    for part in plan.deferred:
        walk(part.node)
    return list(names)


def _plan_object(plan: QueryPlan) -> dict[str, Any]:
    """The plan as JSON, with Apollo's node kinds (``Fetch``, ``Flatten``, ``Sequence``,
    ``Parallel``, ``Defer``) and Hive's ``Batch``."""
    node = _node(plan.node) if plan.node is not None else None
    if not plan.deferred:
        return {"kind": "QueryPlan", "node": node}
    return {
        "kind": "QueryPlan",
        "node": {
            "kind": "Defer",
            "primary": node,
            "deferred": [
                {
                    "path": list(part.path),
                    "typeName": part.type_name,
                    "label": part.label,
                    "node": _node(part.node) if part.node is not None else None,
                }
                for part in plan.deferred
            ],
        },
    }


def _node(node: PlanNode) -> dict[str, Any]:
    match node:
        case SequenceNode(nodes=nodes):
            return {"kind": "Sequence", "nodes": [_node(child) for child in nodes]}
        case ParallelNode(nodes=nodes):
            return {"kind": "Parallel", "nodes": [_node(child) for child in nodes]}
        case FlattenNode(path=path, node=fetch):
            return {"kind": "Flatten", "path": list(path), "node": _node(fetch)}
        case BatchNode(service_name=service_name, parts=parts):
            return {
                "kind": "Batch",
                "serviceName": service_name,
                "nodes": [_node(part) for part in parts],
            }
        case FetchNode():
            return {
                "kind": "Fetch",
                "serviceName": node.service_name,
                "operationKind": node.operation_kind,
                "operation": node.operation,
                "variableUsages": list(node.variable_usages),
                "requires": print_requires(node.requires) if node.requires else None,
            }
    raise AssertionError(f"unknown plan node {node!r}")  # pragma: no cover
