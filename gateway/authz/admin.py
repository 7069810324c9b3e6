"""The policy admin API: GraphQL at ``/admin/graphql``, itself guarded by the policy.

Before anything runs, every field the operation selects is decided for the caller with the
gateway's own enforcer, as the schema coordinate ``Type.field``: ``write`` for the fields of
``Mutation``, ``read`` for the others (the root query type is ``PolicyAdmin``, so
``PolicyAdmin.rules``, ``PolicyVersion.author``...). One denied field refuses the whole
operation with ``FORBIDDEN`` (HTTP 403) listing the coordinates. Only a rule allows: a caller
without an identity, or a coordinate no rule matches, is refused even when the gateway allows
unlisted coordinates. In the default policy only ``security_admin`` may (``Policy*.*`` read,
``Mutation.*Polic*`` write; auditors read).

Errors carry ``extensions.code``: ``BAD_USER_INPUT`` (with ``column``, and ``index`` in a
list, for a refused rule), ``FORBIDDEN``, ``NOT_FOUND``, ``CONFLICT`` (``expectedVersion`` is
no longer current, or the rule exists), ``GRAPHQL_PARSE_FAILED``,
``GRAPHQL_VALIDATION_FAILED``, ``BAD_REQUEST``; anything unexpected is logged and answered
as ``INTERNAL_SERVER_ERROR`` without details.

A change is refused (``BAD_USER_INPUT``, column ``rules``) when it would take from its author
the right to call ``rollbackPolicy``: nobody locks themselves out by mistake.

Four-eyes (:mod:`gateway.authz.approvals`): a change that grants a sensitive coordinate
(``policies/sensitive.csv``) answers ``status: PENDING`` with its ``request`` and no
``version``; nothing is enforced until another security administrator calls
``approvePolicyChange`` (its author gets ``FORBIDDEN``, reason ``FOUR_EYES``).
``rejectPolicyChange`` and ``withdrawPolicyChange`` close a request;
``emergencyApplyPolicyChange`` (an emergency role and a reason) applies one at once, audited
as ``emergency`` and logged as an ERROR. Requests are listed by ``policyChangeRequests``;
``policyAudit(kind:)`` lists the audit entries of one kind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute,
    get_named_type,
    get_operation_ast,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tandem_shared.timestamps import format_datetime
from tandem_shared.tokens import Principal

from ..errors import TandemError
from ..graphql_request import MAX_BODY_BYTES, read_graphql_request
from ..shared_state import RETRY_AFTER, ServiceUnavailable
from .admin_preview import PolicyPreviewer
from .admin_schema import SDL
from .approvals import STATUSES, ChangeRequest, FourEyes, Outcome
from .enforcer import PolicyEnforcer
from .sensitive import SensitiveCoordinates
from .store import PolicySnapshot, PolicyStore, PolicyVersion
from .validation import InvalidRule, PolicyLine, PolicyRule
from .watcher import PolicySync

__all__ = ["SDL", "Identify", "PolicyAdminAPI", "admin_route"]

log = logging.getLogger("tandem.authz.admin")

Identify = Callable[[Request], Awaitable[Principal | None] | Principal | None]
"""Who a request acts for, the gateway's own way (``Identifier.identify``, or a function of
the development headers); None for nobody. A :class:`TandemError` it raises (401) is answered
with its code and status."""

MAX_PAGE = 100
Info = GraphQLResolveInfo[Any]
UNDO = "Mutation.rollbackPolicy"


@dataclass
class _Context:
    principal: Principal | None
    snapshot: PolicySnapshot | None = None


class PolicyAdminAPI:
    """The schema and its resolvers over a store, a replica's sync and its enforcer."""

    def __init__(
        self,
        store: PolicyStore,
        sync: PolicySync,
        *,
        four_eyes: FourEyes | None = None,
        previewer: PolicyPreviewer | None = None,
    ) -> None:
        self.store = store
        self.sync = sync
        self.previewer = previewer
        """Dry runs and explanations (they need the API schema); None: those fields refuse."""
        self.four_eyes = four_eyes or FourEyes(store, SensitiveCoordinates.load())
        self.enforcer: PolicyEnforcer = sync.enforcer
        self.schema = build_schema(SDL)
        self._bind()

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        principal: Principal | None,
    ) -> tuple[dict[str, Any], int]:
        """Run one operation for ``principal``: the response body and its HTTP status."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [_coded(error, "GRAPHQL_PARSE_FAILED")]}, 400
        errors = validate(self.schema, document)
        if errors:
            return {"errors": [_coded(e, "GRAPHQL_VALIDATION_FAILED") for e in errors]}, 400
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = "name the operation to run" if operation_name is None else "no such operation"
            return {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}, 400
        denied = self.denied(document, operation, principal)
        if denied:
            forbidden = {
                "message": "not allowed: " + ", ".join(denied),
                "extensions": {"code": "FORBIDDEN", "coordinates": denied},
            }
            return {"errors": [forbidden]}, 403
        outcome = execute(
            self.schema,
            document,
            variable_values=dict(variables or {}),
            operation_name=operation_name,
            context_value=_Context(principal),
        )
        result: ExecutionResult = await outcome if isawaitable(outcome) else outcome
        unavailable = self.sync.unavailable(result.errors or ())
        if unavailable is not None:  # the database is away: nothing partial, try again
            return {"errors": [unavailable.to_graphql()]}, unavailable.status
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [_format(error) for error in result.errors]
            if result.data is None and all(e.path is None for e in result.errors):
                return body, 400  # the variables were refused: nothing ran
        body["data"] = result.data
        return body, 200

    def denied(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        principal: Principal | None,
    ) -> list[str]:
        """The coordinates of the operation the principal may not have, sorted."""
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        mutation = self.schema.mutation_type
        denied: set[str] = set()
        seen: set[str] = set()

        def walk(selection_set: SelectionSetNode, parent: GraphQLNamedType) -> None:
            for node in selection_set.selections:
                if isinstance(node, FieldNode):
                    name = node.name.value
                    if name == "__typename":
                        continue
                    coordinate = f"{parent.name}.{name}"
                    action = "write" if parent is mutation else "read"
                    if not self._allowed(principal, coordinate, action):
                        denied.add(coordinate)
                    assert isinstance(parent, GraphQLObjectType)
                    if node.selection_set is not None and not name.startswith("__"):
                        child = get_named_type(parent.fields[name].type)
                        walk(node.selection_set, child)
                elif isinstance(node, InlineFragmentNode):
                    condition = node.type_condition
                    target = self.schema.get_type(condition.name.value) if condition else parent
                    walk(node.selection_set, target or parent)
                elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                    seen.add(node.name.value)
                    fragment = fragments[node.name.value]
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    walk(fragment.selection_set, target or parent)

        root = self.schema.get_root_type(operation.operation)
        assert root is not None  # validated
        walk(operation.selection_set, root)
        return sorted(denied)

    def _allowed(self, principal: Principal | None, coordinate: str, action: str) -> bool:
        """Only a rule allows here: never nobody, never the gateway's default (even "allow")."""
        if principal is None:
            return False
        decision = self.enforcer.decide(principal, coordinate, action)
        return decision.allowed and not decision.by_default

    # --- resolvers ---------------------------------------------------------------------------

    def _bind(self) -> None:
        resolvers: dict[str, dict[str, Callable[..., Any]]] = {
            "PolicyAdmin": {
                "currentVersion": self._current_version,
                "rules": self._rules,
                "policyVersions": self._versions,
                "policyVersion": self._version,
                "policyAudit": self._audit,
                "policyChangeRequests": self._requests,
                "policyChangeRequest": self._request,
                "previewPolicyChange": self._preview,
                "explainPolicy": self._explain,
            },
            "Mutation": {
                "addPolicyRule": self._add,
                "removePolicyRule": self._remove,
                "replacePolicyRules": self._replace,
                "rollbackPolicy": self._rollback,
                "approvePolicyChange": self._approve,
                "rejectPolicyChange": self._reject,
                "withdrawPolicyChange": self._withdraw,
                "emergencyApplyPolicyChange": self._emergency,
            },
            "PolicyRule": {"text": lambda rule, _info: str(rule)},
            "PolicyVersion": {
                "createdAt": lambda version, _info: format_datetime(version.created_at),
                "ruleCount": lambda version, _info: version.rule_count,
                "rules": self._version_rules,
            },
            "PolicyAuditEntry": {
                "id": lambda entry, _info: str(entry.id),
                "at": lambda entry, _info: format_datetime(entry.at),
                "baseVersion": lambda entry, _info: entry.base_version,
                "requestId": lambda entry, _info: _id(entry.request_id),
                "before": lambda entry, _info: [_text(line) for line in entry.before],
                "after": lambda entry, _info: [_text(line) for line in entry.after],
            },
            "PolicyChange": {
                "status": lambda outcome, _info: outcome.status,
                "version": lambda outcome, _info: outcome.change and outcome.change.version,
                "added": lambda outcome, _info: _rules_of(_lines_of(outcome, "added")),
                "removed": lambda outcome, _info: _rules_of(_lines_of(outcome, "removed")),
            },
            "PolicyChangeRequest": {
                "id": lambda request, _info: str(request.id),
                "createdAt": lambda request, _info: format_datetime(request.created_at),
                "baseVersion": lambda request, _info: request.base_version,
                "added": lambda request, _info: [_text(line) for line in request.added],
                "removed": lambda request, _info: [_text(line) for line in request.removed],
                "sensitive": lambda request, _info: [_text(line) for line in request.sensitive],
                "decidedBy": lambda request, _info: request.decided_by,
                "decidedAt": lambda request, _info: (
                    request.decided_at and format_datetime(request.decided_at)
                ),
                "decisionComment": lambda request, _info: request.decision_comment,
                "appliedVersion": lambda request, _info: request.applied_version,
            },
        }
        for type_name, fields in resolvers.items():
            object_type = self.schema.type_map[type_name]
            assert isinstance(object_type, GraphQLObjectType)
            for field_name, resolve in fields.items():
                object_type.fields[field_name].resolve = resolve

    async def _snapshot(self, info: Info) -> PolicySnapshot:
        context: _Context = info.context
        if context.snapshot is None:  # one read per operation: the fields agree
            context.snapshot = await self.store.load()
        return context.snapshot

    async def _current_version(self, _root: object, info: Info) -> int:
        return (await self._snapshot(info)).version

    async def _rules(
        self,
        _root: object,
        info: Info,
        subject: str | None = None,
        object: str | None = None,  # the argument's name in the schema
    ) -> list[PolicyRule]:
        rules = _rules_of((await self._snapshot(info)).lines)
        return [
            rule
            for rule in rules
            if (subject is None or rule.subject == subject)
            and (object is None or rule.object == object)
        ]

    async def _versions(
        self, _root: object, _info: Info, first: int, after: str | None = None
    ) -> dict[str, Any]:
        versions, more = await self.store.versions(_first(first), _cursor(after))
        end = str(versions[-1].version) if versions else None
        return {"nodes": versions, "pageInfo": {"hasNextPage": more, "endCursor": end}}

    async def _version(self, _root: object, _info: Info, version: int) -> PolicyVersion | None:
        return await self.store.version(version)

    async def _version_rules(self, version: PolicyVersion, _info: Info) -> Any:
        return _rules_of(await self.store.lines_of(version.version) or ())

    async def _audit(
        self,
        _root: object,
        _info: Info,
        first: int,
        after: str | None = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        entries, more = await self.store.audit(_first(first), _cursor(after), kind)
        end = str(entries[-1].id) if entries else None
        return {"nodes": entries, "pageInfo": {"hasNextPage": more, "endCursor": end}}

    async def _requests(
        self,
        _root: object,
        _info: Info,
        first: int,
        after: str | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        if status is not None and status not in STATUSES:
            raise _bad_input(f"status is one of {', '.join(STATUSES)}", "status")
        requests, more = await self.four_eyes.page(_first(first), _cursor(after), status)
        end = str(requests[-1].id) if requests else None
        return {"nodes": requests, "pageInfo": {"hasNextPage": more, "endCursor": end}}

    async def _request(self, _root: object, _info: Info, id: str) -> ChangeRequest | None:
        return await self.four_eyes.get(_request_id(id))

    async def _preview(
        self, _root: object, info: Info, add: list[Any], remove: list[Any]
    ) -> dict[str, Any]:
        snapshot = await self._snapshot(info)
        # seconds of CPU for a broad rule (every field, every role): off the event loop
        preview = await asyncio.to_thread(
            self._previewer().preview,
            snapshot.lines,
            [_rule(rule) for rule in add],
            [_rule(rule) for rule in remove],
        )
        return {"baseVersion": snapshot.version, **vars(preview)}

    async def _explain(
        self,
        _root: object,
        _info: Info,
        subject: str,
        roles: list[str],
        coordinate: str,
        action: str,
        department: str | None = None,
    ) -> dict[str, Any]:
        principal = Principal(subject, subject, tuple(roles), department or None)
        return self._previewer().explain(principal, coordinate, action)

    def _previewer(self) -> PolicyPreviewer:
        if self.previewer is None:
            raise TandemError(
                "this gateway serves no API schema to preview against", code="NOT_CONFIGURED"
            )
        return self.previewer

    async def _add(self, _root: object, info: Info, **args: Any) -> Outcome:
        return await self._apply(info, "add", list(_rule(args["rule"]).values), args)

    async def _remove(self, _root: object, info: Info, **args: Any) -> Outcome:
        return await self._apply(info, "remove", list(_rule(args["rule"]).values), args)

    async def _replace(self, _root: object, info: Info, **args: Any) -> Outcome:
        rules = [list(_rule(item).values) for item in args["rules"]]
        return await self._apply(info, "replace", rules, args)

    async def _rollback(self, _root: object, info: Info, **args: Any) -> Outcome:
        return await self._apply(info, "rollback", args["version"], args)

    async def _apply(
        self, info: Info, action: str, target: Any, args: Mapping[str, Any]
    ) -> Outcome:
        principal = _principal(info)
        outcome = await self.four_eyes.submit(
            action,
            target,
            author=principal.subject,
            comment=args.get("comment") or "",
            expected_version=args.get("expectedVersion"),
            guard=self._keeps_undo(principal),
        )
        if outcome.change is not None:
            await self.sync.changed(outcome.change)
        return outcome

    async def _approve(
        self, _root: object, info: Info, id: str, comment: str | None = None
    ) -> Outcome:
        principal = _principal(info)
        outcome = await self.four_eyes.approve(
            _request_id(id), principal.subject, comment or "", self._keeps_undo(principal)
        )
        assert outcome.change is not None
        await self.sync.changed(outcome.change)
        return outcome

    async def _emergency(self, _root: object, info: Info, id: str, reason: str) -> Outcome:
        principal = _principal(info)
        outcome = await self.four_eyes.emergency(
            _request_id(id), principal.subject, principal.roles, reason,
            self._keeps_undo(principal),
        )  # fmt: skip
        assert outcome.change is not None
        await self.sync.changed(outcome.change)
        return outcome

    async def _reject(
        self, _root: object, info: Info, id: str, comment: str | None = None
    ) -> ChangeRequest:
        return await self.four_eyes.reject(_request_id(id), _principal(info).subject, comment or "")

    async def _withdraw(
        self, _root: object, info: Info, id: str, comment: str | None = None
    ) -> ChangeRequest:
        subject = _principal(info).subject
        return await self.four_eyes.withdraw(_request_id(id), subject, comment or "")

    def _keeps_undo(self, principal: Principal) -> Callable[[tuple[PolicyLine, ...]], None]:
        could_undo = self._allowed(principal, UNDO, "write")

        def guard(lines: tuple[PolicyLine, ...]) -> None:
            if not could_undo:
                return
            preview = self.enforcer.preview(lines).decide(principal, UNDO, "write")
            if not preview.allowed or preview.by_default:
                raise InvalidRule(
                    f"the change would take from you the right to undo it ({UNDO}, write)",
                    column="rules",
                )

        return guard


def admin_route(
    api: PolicyAdminAPI,
    identify: Identify,
    *,
    path: str = "/admin/graphql",
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Route:
    """The Starlette route serving ``api`` (POST, JSON) at ``path``."""

    async def endpoint(request: Request) -> Response:
        try:
            asked = await read_graphql_request(request, max_body_bytes)
            found = identify(request)
            principal = await found if isawaitable(found) else found
        except TandemError as error:
            challenge = getattr(error, "www_authenticate", None)
            headers = {"www-authenticate": challenge} if isinstance(challenge, str) else None
            if isinstance(error, ServiceUnavailable):
                headers = {"retry-after": str(error.retry_after)}
            return _json({"errors": [error.to_graphql()]}, error.status, headers)
        body, status = await api.execute(
            asked.query, asked.variables, asked.operation_name, principal
        )
        retry = {"retry-after": str(RETRY_AFTER)} if status == 503 else None
        return _json(body, status, retry)

    return Route(path, endpoint, methods=["POST"])


def _json(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _coded(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted = dict(error.formatted)
    formatted["extensions"] = {**(error.extensions or {}), "code": code}
    return formatted


def _format(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, TandemError):
        formatted = dict(error.formatted)
        formatted["message"] = original.message
        formatted["extensions"] = original.to_graphql()["extensions"]
        return formatted
    if original is not None and not isinstance(original, GraphQLError):
        log.error("policy admin: %s failed", error.path, exc_info=original)
        formatted = {k: v for k, v in error.formatted.items() if k in ("locations", "path")}
        return {
            "message": "internal error",
            **formatted,
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    return _coded(error, "BAD_USER_INPUT")  # a variable the schema refused


def _principal(info: Info) -> Principal:
    principal: Principal | None = info.context.principal
    assert principal is not None  # anonymous callers are refused before execution
    return principal


def _lines_of(outcome: Outcome, which: str) -> tuple[PolicyLine, ...]:
    source: Any = outcome.change if outcome.change is not None else outcome.request
    lines: tuple[PolicyLine, ...] = getattr(source, which)
    return lines


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def _request_id(value: str) -> int:
    if not value.isdigit():
        raise _bad_input("id is not a request id this API gave", "id")
    return int(value)


def _rule(values: Mapping[str, str]) -> PolicyRule:
    return PolicyRule(
        values["subject"], values["domain"], values["object"], values["action"], values["effect"]
    )


def _rules_of(lines: tuple[PolicyLine, ...]) -> list[PolicyRule]:
    return [PolicyRule.from_values(line[1:]) for line in lines if line[0] == "p"]


def _text(line: PolicyLine) -> str:
    return ", ".join(line)


def _first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise _bad_input(f"first must be between 1 and {MAX_PAGE}", "first")
    return first


def _cursor(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit():
        raise _bad_input("after is not a cursor this API gave", "after")
    return int(after)


def _bad_input(message: str, column: str) -> TandemError:
    return TandemError(message, code="BAD_USER_INPUT", status=400, extensions={"column": column})
