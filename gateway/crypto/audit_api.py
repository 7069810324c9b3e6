"""Auditors read the plaintext-read log through GraphQL at ``/admin/crypto/graphql``.

Guarded by the policy like the policy admin API: every selected field is decided for the
caller as the coordinate ``Type.field`` with ``read`` (the root type is ``CryptoAudit``, so
``CryptoAudit.plaintextReads``, ``PlaintextRead.subject``...), and only a rule allows: nobody
without an identity, never the gateway's "allow unlisted" default. In the default policy the
auditors' ``*`` rule allows it; no other role reads it. One denied field refuses the whole
operation with ``FORBIDDEN`` (403) listing the coordinates.

    { plaintextReads(coordinate: "Employee.idCardNumber", first: 20) {
        nodes { at subject coordinate entityId rule keyId }
        pageInfo { hasNextPage endCursor } } }
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from inspect import isawaitable
from typing import Any, Final

import orjson
from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLObjectType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    execute,
    get_operation_ast,
    parse,
    validate,
    visit,
)
from graphql.language import FieldNode
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tandem_shared.timestamps import format_datetime, parse_iso8601
from tandem_shared.tokens import Principal

from ..authz.enforcer import PolicyEnforcer
from ..errors import TandemError
from ..graphql_request import MAX_BODY_BYTES, read_graphql_request
from ..shared_state import ServiceUnavailable
from .audit import AuditLog, PlaintextRead, ReadFilter

__all__ = ["SDL", "AuditAPI", "audit_route"]

Identify = Callable[[Request], Awaitable[Principal | None] | Principal | None]
MAX_PAGE: Final = 500

SDL = """\
schema { query: CryptoAudit }

"Who read encrypted fields in plaintext. Every field is itself decided by the policy."
type CryptoAudit {
  "Newest first; exact filters; since inclusive, until exclusive (ISO 8601 with an offset)."
  plaintextReads(subject: String, coordinate: String, entityId: String, since: String,
                 until: String, first: Int! = 50, after: String): PlaintextReadPage!
}

"One plaintext the gateway returned."
type PlaintextRead {
  id: ID!
  at: String!
  "The caller's subject; clientId: the API client it acted through, if any."
  subject: String!
  clientId: String
  "The encrypted field, as Type.field."
  coordinate: String!
  entityId: String!
  "The policy rule that gave the plaintext."
  rule: String!
  "The key version the value was encrypted under."
  keyId: String!
}

type PlaintextReadPage {
  nodes: [PlaintextRead!]!
  pageInfo: AuditPageInfo!
}

type AuditPageInfo {
  hasNextPage: Boolean!
  endCursor: String
}
"""


class AuditAPI:
    def __init__(self, audit: AuditLog, enforcer: PolicyEnforcer | None) -> None:
        self.audit = audit
        self.enforcer = enforcer
        self.schema = build_schema(SDL)
        root = self.schema.type_map["CryptoAudit"]
        assert isinstance(root, GraphQLObjectType)
        root.fields["plaintextReads"].resolve = self._reads
        read = self.schema.type_map["PlaintextRead"]
        assert isinstance(read, GraphQLObjectType)
        read.fields["id"].resolve = lambda r, _i: str(r.id)
        read.fields["at"].resolve = lambda r, _i: format_datetime(r.at)
        for name, attribute in (("clientId", "client_id"), ("entityId", "entity_id"),
                                ("keyId", "key_id")):  # fmt: skip
            read.fields[name].resolve = lambda r, _i, a=attribute: getattr(r, a)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        principal: Principal | None,
    ) -> tuple[dict[str, Any], int]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return _error(error.message, "GRAPHQL_PARSE_FAILED"), 400
        errors = validate(self.schema, document)
        if errors:
            return _error(errors[0].message, "GRAPHQL_VALIDATION_FAILED"), 400
        if get_operation_ast(document, operation_name) is None:
            return _error("name the operation to run", "BAD_REQUEST"), 400
        denied = self.denied(document, principal)
        if denied:
            body = _error("not allowed: " + ", ".join(denied), "FORBIDDEN")
            body["errors"][0]["extensions"]["coordinates"] = denied
            return body, 403
        outcome = execute(
            self.schema, document, variable_values=variables, operation_name=operation_name
        )
        result: ExecutionResult = await outcome if isawaitable(outcome) else outcome
        for failed in result.errors or ():
            if isinstance(failed.original_error, ServiceUnavailable):  # the database is away
                return {"errors": [failed.original_error.to_graphql()]}, 503
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [
                {
                    "message": e.message,
                    "path": e.path,
                    "extensions": _extensions(e),
                }
                for e in result.errors
            ]
        return response, 200

    def denied(self, document: Any, principal: Principal | None) -> list[str]:
        """The selected coordinates no rule lets ``principal`` read, sorted."""
        info = TypeInfo(self.schema)
        denied: set[str] = set()
        enforcer = self.enforcer

        class Collect(Visitor):
            def enter_field(self, node: FieldNode, *_args: Any) -> None:
                parent = info.get_parent_type()
                if parent is None or node.name.value.startswith("__"):
                    return
                coordinate = f"{parent.name}.{node.name.value}"
                decision = (
                    enforcer.decide(principal, coordinate, "read")
                    if principal is not None and enforcer is not None
                    else None
                )
                if decision is None or not decision.allowed or decision.by_default:
                    denied.add(coordinate)

        visit(document, TypeInfoVisitor(info, Collect()))
        return sorted(denied)

    async def _reads(
        self,
        _root: object,
        _info: Any,
        first: int,
        subject: str | None = None,
        coordinate: str | None = None,
        entityId: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after: str | None = None,
    ) -> dict[str, Any]:
        if not 0 < first <= MAX_PAGE:
            raise _bad_input(f"first is 1 to {MAX_PAGE}", "first")
        start, stop = _instant(since, "since"), _instant(until, "until")
        if start is not None and stop is not None and start >= stop:
            raise _bad_input("until must be after since", "until")
        try:
            before = int(after) if after else None
        except ValueError:
            raise _bad_input("after is an endCursor of an earlier page", "after") from None
        where = ReadFilter(subject, coordinate, entityId, start, before, stop)
        found: list[PlaintextRead] = await self.audit.query(where, first + 1)
        nodes = found[:first]
        end = str(nodes[-1].id) if nodes else None
        return {"nodes": nodes, "pageInfo": {"hasNextPage": len(found) > first, "endCursor": end}}


def _instant(value: str | None, argument: str) -> datetime | None:
    """``value`` as an aware date-time, or a coded error naming ``argument``."""
    if not value:
        return None
    try:
        return parse_iso8601(value)
    except ValueError:
        raise _bad_input(
            f"{argument} is an ISO 8601 date-time with an offset (2026-05-01T00:00:00Z)", argument
        ) from None


def _bad_input(message: str, argument: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": argument})


def _extensions(error: GraphQLError) -> dict[str, Any]:
    """An error's code (BAD_USER_INPUT unless it has one) and the argument it names, if any."""
    given = error.extensions or {}
    extensions: dict[str, Any] = {"code": given.get("code", "BAD_USER_INPUT")}
    if "field" in given:
        extensions["field"] = given["field"]
    return extensions


def _error(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def audit_route(
    api: AuditAPI,
    identify: Identify,
    *,
    path: str = "/admin/crypto/graphql",
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Route:
    """The Starlette route serving ``api`` (POST, JSON) at ``path``."""

    async def endpoint(request: Request) -> Response:
        try:
            asked = await read_graphql_request(request, max_body_bytes)
            found = identify(request)
            principal = await found if isawaitable(found) else found
        except TandemError as error:
            return _json({"errors": [error.to_graphql()]}, error.status)
        result, status = await api.execute(
            asked.query, asked.variables, asked.operation_name, principal
        )
        return _json(result, status)

    return Route(path, endpoint, methods=["POST"])


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")
