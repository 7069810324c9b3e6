"""The security team's policy tools as pure functions: check (lint), explain, and test cases.

``tandem policy ...`` (``gateway/policy_cli.py``) reads the files and prints; everything here
takes text, schemas and decide functions. Decisions go through the same
:func:`~gateway.authz.field_access.authorize_selections` the gateway runs at plan time, on the
operation normalized as the gateway normalizes it, so what a tool says is what the gateway does.

Policy rows, the model's columns and the matching of objects to coordinates are casbin's own
(through :mod:`gateway.authz.enforcer`): the file the gateway enforces is read one way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.utilities import value_from_ast_untyped

from tandem_shared.tokens import Principal

from ..errors import OperationError, TandemError
from ..operation import InlineSelection, Selection, normalize_operation
from ..validation import GATEWAY_RULES
from .decision import Conditional, DecidedField, Denial, OperationDecision
from .enforcer import Decision, glob_match, model_columns, policy_tokens
from .field_access import Grants, authorize_selections
from .validation import BUILTIN_SUBJECTS

__all__ = [
    "ACTIONS",
    "CaseResult",
    "Decide",
    "GrantsFor",
    "Operation",
    "PolicyCase",
    "PolicyLine",
    "Problem",
    "Trace",
    "Traced",
    "TracedFragment",
    "check_policy",
    "glob_matches",
    "parse_model",
    "parse_operation",
    "parse_policy",
    "run_case",
    "schema_coordinates",
    "trace_operation",
]

Decide = Callable[[str, str], Decision]  # (coordinate, action) -> decision
GrantsFor = Callable[[Principal | None], Grants]  # principal -> its grants on related objects

ACTIONS: Final = ("read", "write", "read_plain", "read_masked")


# -- reading policies ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyLine:
    """One policy row as casbin reads it: its type (``p``, ``g``), its values, its line."""

    number: int
    ptype: str
    values: tuple[str, ...]

    @property
    def text(self) -> str:
        return ", ".join((self.ptype, *self.values))


def parse_policy(text: str) -> list[PolicyLine]:
    """The rows of a casbin CSV policy, split as casbin's file adapter splits them."""
    rows = []
    for number, raw in enumerate(text.split("\n"), 1):
        try:
            tokens = policy_tokens(raw.strip())
        except ValueError as error:
            raise TandemError(f"line {number}: {error}", code="BAD_USER_INPUT") from None
        if tokens:
            ptype, *values = tokens
            rows.append(PolicyLine(number, ptype, tuple(values)))
    return rows


def parse_model(text: str) -> dict[str, tuple[str, ...]]:
    """Policy and role types of a casbin model: ``{"p": ("sub", "dom", ...), "g": ("_", ...)}``."""
    return model_columns(text)


def glob_matches(coordinate: str, pattern: str) -> bool:
    """Whether ``coordinate`` matches a policy object, as casbin's ``globMatch`` decides."""
    return glob_match(coordinate, pattern)


def schema_coordinates(schema: GraphQLSchema) -> dict[str, str]:
    """Every field coordinate of the API schema and the action it is decided with."""
    mutation = schema.mutation_type.name if schema.mutation_type else None
    return {
        f"{name}.{field_name}": "write" if name == mutation else "read"
        for name, gql_type in schema.type_map.items()
        if not name.startswith("__")
        and isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType)
        for field_name in gql_type.fields
    }


# -- check -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one policy line: ``kind`` is a stable word, ``message`` says why."""

    line: int
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class _Rule:
    line: PolicyLine
    subject: str
    domain: str
    obj: str
    act: str
    effect: str
    matches: frozenset[str]

    def covers(self, other: _Rule, subjects: frozenset[str]) -> bool:
        """Whether this rule applies wherever ``other`` does (``subjects``: other's, inherited)."""
        return (
            self.subject in subjects
            and self.domain in ("*", other.domain)
            and self.act in ("*", other.act)
            and bool(other.matches)
            and other.matches <= self.matches
        )


def check_policy(
    lines: Sequence[PolicyLine],
    model: Mapping[str, tuple[str, ...]],
    coordinates: Mapping[str, str],
    *,
    roles: Iterable[str] = (),
    relations: Collection[str] | None = None,
) -> list[Problem]:
    """Lint a policy against the coordinates of an API schema (see :func:`schema_coordinates`).

    Reports, each on its line: rows casbin would ignore or misread, unknown effects and actions,
    objects that match no coordinate, actions never asked for what they match, subjects that are
    neither a configured role nor given by a ``g`` row, allows that a deny always overrides, and
    rules duplicated or covered by a broader rule with the same effect.
    """
    problems: list[Problem] = []
    rules: list[_Rule] = []
    grants: list[tuple[PolicyLine, str, str, str]] = []  # (line, member, role, domain)
    for line in lines:
        columns = model.get(line.ptype)
        if columns is None:
            problems.append(
                Problem(line.number, "malformed", f"casbin ignores this row: no {line.ptype!r}")
            )
        elif len(line.values) != len(columns):
            problems.append(
                Problem(
                    line.number,
                    "malformed",
                    f"{len(line.values)} values where {line.ptype} has {len(columns)} "
                    f"({', '.join(columns)}): casbin fails on it at the first decision "
                    "(a comma inside a value splits it)",
                )
            )
        elif line.ptype.startswith("g"):
            member, role, *rest = line.values
            grants.append((line, member, role, rest[0] if rest else "*"))
        else:
            values = dict(zip(columns, line.values, strict=True))
            rule = _Rule(
                line,
                values.get("sub", ""),
                values.get("dom", "*"),
                values.get("obj", ""),
                values.get("act", ""),
                values.get("eft", "allow"),
                frozenset(c for c in coordinates if glob_matches(c, values.get("obj", ""))),
            )
            problems.extend(_check_rule(rule, coordinates))
            rules.append(rule)
    members = {member for _, member, _, _ in grants}
    given = {role for _, _, role, _ in grants}
    known = {*roles, *BUILTIN_SUBJECTS, *members, *given}
    configured = ", ".join(roles)
    for rule in rules:
        base, _, relation = rule.subject.partition("@")
        if relation and (relations is None or relation in relations) and base in known:
            continue  # a relation subject (employee@self) the policy declares: relations.py
        if rule.subject not in known:
            problems.append(
                Problem(
                    rule.line.number,
                    "unknown-role",
                    f"unknown role {rule.subject!r}: not a configured role ({configured}) "
                    "nor given by a g row",
                )
            )
    named = {rule.subject for rule in rules}
    seen_grants: dict[tuple[str, ...], int] = {}
    for line, _, role, _ in grants:
        if role not in named and role not in roles and role not in members:
            problems.append(
                Problem(
                    line.number,
                    "unknown-role",
                    f"role {role!r} is given here but is not configured and no rule names it",
                )
            )
        first = seen_grants.setdefault(line.values, line.number)
        if first != line.number:
            problems.append(Problem(line.number, "duplicate", f"duplicate of line {first}"))
    problems.extend(_check_overlaps(rules, grants))
    return sorted(problems, key=lambda p: (p.line, p.kind))


def _check_rule(rule: _Rule, coordinates: Mapping[str, str]) -> list[Problem]:
    number = rule.line.number
    problems = []
    if rule.effect not in ("allow", "deny"):
        problems.append(
            Problem(number, "unknown-effect", f"effect {rule.effect!r} is neither allow nor deny")
        )
    if rule.act != "*" and rule.act not in ACTIONS:
        problems.append(
            Problem(
                number,
                "unknown-action",
                f"unknown action {rule.act!r} (actions: {', '.join(ACTIONS)}, *)",
            )
        )
    if not rule.matches:
        problems.append(
            Problem(
                number,
                "unknown-coordinate",
                f"{rule.obj!r} matches no coordinate of the supergraph's API schema",
            )
        )
    elif rule.act != "*" and rule.act in ACTIONS:
        asked = {coordinates[c] for c in rule.matches}
        if rule.act == "write" and "write" not in asked:
            problems.append(
                Problem(
                    number,
                    "unused-action",
                    f"write is asked only for mutation fields; {rule.obj!r} matches none",
                )
            )
        elif rule.act != "write" and asked == {"write"}:
            problems.append(
                Problem(
                    number,
                    "unused-action",
                    f"mutation fields are asked with write, never {rule.act}",
                )
            )
    return problems


def _check_overlaps(
    rules: Sequence[_Rule], grants: Sequence[tuple[PolicyLine, str, str, str]]
) -> list[Problem]:
    parents: dict[str, set[str]] = {}
    for _, member, role, domain in grants:
        if domain == "*":
            parents.setdefault(member, set()).add(role)

    def inherited(subject: str) -> frozenset[str]:
        found, pending = {subject}, [subject]
        while pending:
            for role in parents.get(pending.pop(), ()):
                if role not in found:
                    found.add(role)
                    pending.append(role)
        return frozenset(found)

    valid = [
        r for r in rules if r.effect in ("allow", "deny") and (r.act == "*" or r.act in ACTIONS)
    ]
    problems = []
    for rule in valid:
        subjects = inherited(rule.subject)
        if rule.effect == "allow":
            deny = next((d for d in valid if d.effect == "deny" and d.covers(rule, subjects)), None)
            if deny is not None:
                problems.append(
                    Problem(
                        rule.line.number,
                        "shadowed",
                        f"this allow never takes effect: line {deny.line.number} "
                        f"({deny.line.text}) denies all of it",
                    )
                )
                continue
        for other in valid:
            if other is rule or other.effect != rule.effect:
                continue
            same = (other.subject, other.domain, other.obj, other.act) == (
                rule.subject, rule.domain, rule.obj, rule.act,
            )  # fmt: skip
            if same or other.covers(rule, subjects):
                mutual = same or rule.covers(other, inherited(other.subject))
                if mutual and other.line.number > rule.line.number:
                    continue  # the later of two equivalent rules is the one reported
                problems.append(
                    Problem(
                        rule.line.number,
                        "duplicate" if same else "covered",
                        f"duplicate of line {other.line.number}"
                        if same
                        else f"covered by line {other.line.number} ({other.line.text})",
                    )
                )
                break
    return problems


# -- operations and what a caller gets ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation normalized as the gateway normalizes it (fragments inlined, @skip/@include)."""

    kind: str
    root_type: str
    selections: tuple[Selection, ...]


def parse_operation(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Operation:
    """Parse, validate (the gateway's rules) and normalize ``query``; :class:`OperationError`."""
    try:
        document = parse(query)
    except GraphQLError as error:
        raise OperationError(error.message, code="GRAPHQL_PARSE_FAILED") from None
    errors = validate(schema, document, [*specified_rules, *GATEWAY_RULES])
    if errors:
        raise OperationError("; ".join(e.message for e in errors[:5]))
    operations = {
        d.name.value if d.name else None: d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    }
    if operation_name is None and len(operations) != 1:
        raise OperationError("the document has several operations: name one")
    operation = (
        operations.get(operation_name) if operation_name else next(iter(operations.values()))
    )
    if operation is None:
        raise OperationError(f"unknown operation named {operation_name!r}")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    kind = operation.operation.value
    root = schema.get_root_type(operation.operation)
    assert root is not None  # validation checked the schema has it
    return Operation(kind, root.name, normalize_operation(operation, fragments, values))


@dataclass(frozen=True, slots=True)
class Traced:
    """One selected field and what the caller gets there.

    ``verdict`` is ``allowed``, ``denied`` (null and ``FORBIDDEN`` at ``path``; nothing under
    it is fetched), ``conditional`` (fetched, and shown only on objects related to the caller,
    ``role@relation`` rules) or ``meta`` (``__typename``, introspection: not a matter of field
    policy).
    """

    key: str
    name: str
    arguments: str
    coordinate: str | None
    action: str | None
    verdict: str
    rule: str
    path: tuple[str, ...]
    children: tuple[Traced | TracedFragment, ...] = ()
    selects: bool = False  # the field has a selection set


@dataclass(frozen=True, slots=True)
class TracedFragment:
    """An inline fragment, or a named fragment inlined where it was spread."""

    type_condition: str | None
    children: tuple[Traced | TracedFragment, ...]


@dataclass(frozen=True)
class Trace:
    """Every field of an operation with its decision, mirroring the operation's shape."""

    operation: Operation
    nodes: tuple[Traced | TracedFragment, ...]
    access: OperationDecision
    fields: tuple[Traced, ...] = field(init=False)

    def __post_init__(self) -> None:
        flat: list[Traced] = []

        def visit(nodes: Iterable[Traced | TracedFragment]) -> None:
            for node in nodes:
                if isinstance(node, Traced):
                    flat.append(node)
                visit(node.children)

        visit(self.nodes)
        object.__setattr__(self, "fields", tuple(flat))

    def coordinates(self, verdict: str) -> dict[str, str]:
        """Coordinate -> deciding rule, for the fields with ``verdict``."""
        return {f.coordinate: f.rule for f in self.fields if f.coordinate and f.verdict == verdict}

    @property
    def denied_paths(self) -> frozenset[str]:
        """Response paths of the denied fields, keys joined by ``.`` without list indices."""
        return frozenset(".".join(f.path) for f in self.fields if f.verdict == "denied")


def trace_operation(
    schema: GraphQLSchema,
    operation: Operation,
    decide: Decide,
    grants: Grants | None = None,
) -> Trace:
    """Authorize ``operation`` as the gateway does and record what decided every field.

    With ``grants`` (rules on related objects, ``role@self``), a field denied by default but
    granted on related objects is ``conditional``: fetched, and decided per object."""
    asked: dict[str, dict[str, Decision]] = {}

    def recording(coordinate: str, action: str) -> Decision:
        decision = decide(coordinate, action)
        asked.setdefault(coordinate, {})[action] = decision
        return decision

    access = authorize_selections(
        schema, operation.selections, operation.root_type, operation.kind, recording, grants
    )
    writes = operation.kind == "mutation"

    def walk(
        items: Sequence[Selection], parent: str, path: tuple[str, ...], root: bool
    ) -> tuple[Traced | TracedFragment, ...]:
        nodes: list[Traced | TracedFragment] = []
        for item in items:
            if isinstance(item, InlineSelection):
                children = walk(item.selections, item.type_condition or parent, path, root)
                nodes.append(TracedFragment(item.type_condition, children))
                continue
            here = (*path, item.key)
            selects = item.selections is not None
            base = (item.key, item.name, ", ".join(print_ast(a) for a in item.arguments))
            if item.name.startswith("__"):
                rule = "meta field" if item.name == "__typename" else "introspection"
                nodes.append(Traced(*base, None, None, "meta", rule, here, (), selects))
                continue
            coordinate = f"{parent}.{item.name}"
            decided = item.decided if isinstance(item, DecidedField) else None
            denial = decided if isinstance(decided, Denial) else None
            if denial is not None:
                verdict = (denial.action, "denied", denial.rule)
                nodes.append(Traced(*base, coordinate, *verdict, here, (), selects))
                continue
            inner: tuple[Traced | TracedFragment, ...] = ()
            if item.selections is not None:  # fetched (allowed or conditional): decided inside
                field_type = schema.type_map[parent].fields[item.name].type  # type: ignore[attr-defined]
                inner = walk(item.selections, get_named_type(field_type).name, here, False)
            conditional = decided if isinstance(decided, Conditional) else None
            if conditional is not None:
                rules = "; ".join(rule for _, _, rule in conditional.grants)
                verdict = (conditional.action, "conditional", rules)
                nodes.append(Traced(*base, coordinate, *verdict, here, inner, selects))
                continue
            # the decision that let it through (the action the gateway actually asked)
            expected = "write" if root and writes else "read"
            decisions = asked.get(coordinate, {})
            action = expected if expected in decisions else next(iter(decisions), expected)
            decision = decisions.get(action, Decision(True, "allowed"))
            verdict = (action, "allowed", decision.rule)
            nodes.append(Traced(*base, coordinate, *verdict, here, inner, selects))
        return tuple(nodes)

    return Trace(operation, walk(access.client, operation.root_type, (), True), access)


# -- test cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCase:
    """Who asks, what they ask, and what they should get; ``None`` expectations are not checked."""

    name: str
    principal: Principal | None
    operation: str
    operation_name: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    visible: frozenset[str] | None = None
    denied: frozenset[str] | None = None
    denied_paths: frozenset[str] | None = None
    conditional: frozenset[str] | None = None


@dataclass(frozen=True)
class CaseResult:
    case: PolicyCase
    failures: tuple[str, ...]
    trace: Trace | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


_VERDICTS: Final = (("visible", "allowed"), ("denied", "denied"), ("conditional", "conditional"))


def run_case(
    schema: GraphQLSchema,
    case: PolicyCase,
    decide_for: Callable[[Principal | None], Decide],
    grants_for: GrantsFor | None = None,
) -> CaseResult:
    """Authorize the case's operation for its principal and compare with what it expects.

    With ``grants_for`` (the gateway always has it), fields granted on related objects only
    are ``conditional``, as the gateway decides them; without it they count as denied.
    """
    try:
        operation = parse_operation(schema, case.operation, case.operation_name, case.variables)
    except OperationError as error:
        return CaseResult(case, (f"the operation is invalid: {error.message}",))
    grants = grants_for(case.principal) if grants_for is not None else None
    trace = trace_operation(schema, operation, decide_for(case.principal), grants)
    got = {verdict: trace.coordinates(verdict) for _, verdict in _VERDICTS}
    expectations = {"visible": case.visible, "denied": case.denied, "conditional": case.conditional}
    failures: list[str] = []
    for word, verdict in _VERDICTS:
        expected = expectations[word]
        if expected is None:
            continue
        mine = got[verdict]
        for coordinate in sorted(expected - set(mine)):
            other = next((v for _, v in _VERDICTS if coordinate in got[v]), None)
            if other is not None:
                failures.append(
                    f"{coordinate}: expected {word}, {other} by {got[other][coordinate]}"
                )
            else:
                failures.append(
                    f"{coordinate}: expected {word}, but the operation does not reach it"
                )
        for coordinate in sorted(set(mine) - expected):
            failures.append(f"{coordinate}: {word} ({mine[coordinate]}) but not listed in {word}")
    if case.denied_paths is not None:
        for path in sorted(case.denied_paths - trace.denied_paths):
            failures.append(f"{path}: expected a denied path, but it is not denied")
        for path in sorted(trace.denied_paths - case.denied_paths):
            failures.append(f"{path}: denied but not listed in denied_paths")
    return CaseResult(case, tuple(failures), trace)
