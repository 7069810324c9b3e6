"""What a policy change would do, asked before it is made: the admin API's dry run.

The security team's editor (the console) shows, for a proposed change, the lint problems it
brings (:func:`~gateway.authz.tools.check_policy`, as ``tandem policy check``), the policy
test cases of the policy folder's ``tests/`` run on the changed policy (as ``tandem policy
test``) and its effect: which roles gain or lose which coordinates. ``explain`` says whether a
person with given roles may act on a coordinate and which rule decides. Nothing here changes
the policy or the enforcer in force: the changed policy lives in a preview enforcer
(:meth:`PolicyEnforcer.preview`) for the one question.

The test cases are read once, at the first preview (they ship with the policy folder and
change with a deployment, not at run time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_schema

from tandem_shared.tokens import Principal

from ..errors import OperationError, TandemError
from .admin_schema import SDL
from .enforcer import Decision, PolicyEnforcer
from .relations import Relation
from .store import PolicyNotFound
from .tools import (
    PolicyCase,
    PolicyLine,
    check_policy,
    glob_matches,
    parse_model,
    parse_operation,
    run_case,
    schema_coordinates,
    trace_operation,
)
from .validation import ROLES_FILE, PolicyRule, RuleValidator, read_roles

__all__ = ["CASES_FOLDER", "Effect", "PolicyPreviewer", "Preview"]

CASES_FOLDER = "tests"
"""The policy folder's test cases (YAML, ``policies/README.md``), run on every preview."""

StoredLine = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Effect:
    """A role that gains or loses ``action`` on a coordinate."""

    role: str
    change: str  # GAIN or LOSE
    coordinate: str
    action: str
    related: bool = False
    """The access gained or lost is on related objects only (``role@relation`` rules)."""


@dataclass(frozen=True)
class Preview:
    added: tuple[PolicyRule, ...]
    removed: tuple[PolicyRule, ...]
    problems: tuple[dict[str, str], ...]
    tests: tuple[dict[str, Any], ...]
    effects: tuple[Effect, ...]
    testCaseCount: int  # the field's name in the schema


class PolicyPreviewer:
    """Previews changes to ``enforcer``'s policy against the API schema ``schema_of()`` returns
    (the gateway's current one) plus the admin API's own coordinates."""

    def __init__(
        self,
        enforcer: PolicyEnforcer,
        schema_of: Callable[[], GraphQLSchema],
        validator: RuleValidator,
    ) -> None:
        self.enforcer = enforcer
        self.schema_of = schema_of
        self.validator = validator
        self.folder = Path(enforcer.model_path).parent

    @cached_property
    def _model(self) -> dict[str, tuple[str, ...]]:
        return parse_model((self.folder / "model.conf").read_text(encoding="utf-8"))

    @cached_property
    def roles(self) -> tuple[str, ...]:
        return read_roles(self.folder / ROLES_FILE)

    @cached_property
    def _cases(self) -> tuple[PolicyCase, ...]:
        from ..policy_cli import load_cases  # the CLI's reader: one format for both

        folder = self.folder / CASES_FOLDER
        files = sorted(folder.glob("*.y*ml")) if folder.is_dir() else []
        return tuple(case for path in files for case in load_cases(path))

    def coordinates(self) -> dict[str, str]:
        found = schema_coordinates(self.schema_of())
        found.update(schema_coordinates(_admin_schema()))
        return found

    def preview(
        self,
        lines: Sequence[StoredLine],
        add: Sequence[PolicyRule],
        remove: Sequence[PolicyRule],
    ) -> Preview:
        """What adding ``add`` and removing ``remove`` from ``lines`` would do; the rules are
        checked as the store checks them (``BAD_USER_INPUT``, ``NOT_FOUND``, ``CONFLICT``)."""
        if not add and not remove:
            raise TandemError(
                "name a rule to add or remove", code="BAD_USER_INPUT", status=400,
                extensions={"column": "add"},
            )  # fmt: skip
        for index, rule in enumerate(add):
            self.validator.check(rule, index=index)
            if rule.line in lines and rule not in remove:
                raise TandemError(
                    f"the policy already has the rule {rule}", code="CONFLICT", status=409,
                    extensions={"column": "add", "index": index},
                )  # fmt: skip
        for rule in remove:
            if rule.line not in lines:
                raise PolicyNotFound(f"the policy has no rule {rule}")
        gone = {rule.line for rule in remove}
        after = (*(line for line in lines if line not in gone), *(rule.line for rule in add))
        after = tuple(dict.fromkeys(after))
        # Only the coordinates a changed rule's object matches can be decided differently:
        # lint, test cases and effects look there (casbin's glob matching is slow).
        coordinates = self.coordinates()
        changed = (*add, *remove)
        touched = {
            coordinate: asked
            for coordinate, asked in coordinates.items()
            if any(glob_matches(coordinate, rule.object) for rule in changed)
        }
        current = self.enforcer if tuple(lines) == self.enforcer.lines else None
        before = current or self.enforcer.preview(lines)
        proposed = _Hybrid(self.enforcer.preview(after), before, touched)
        return Preview(
            tuple(add),
            tuple(remove),
            self._new_problems(lines, after, touched),
            self._tests(proposed, touched),
            self._effects(before, proposed, changed, touched),
            len(self._cases),
        )

    def explain(self, principal: Principal, coordinate: str, action: str) -> dict[str, Any]:
        """Whether ``principal`` may ``action`` ``coordinate`` under the policy in force."""
        if coordinate not in self.coordinates():
            raise TandemError(
                f"{coordinate!r} is not a field of the API (Type.field)",
                code="BAD_USER_INPUT", status=400, extensions={"column": "coordinate"},
            )  # fmt: skip
        decision = self.enforcer.decide(principal, coordinate, action)
        related = self.enforcer.conditional_grants(principal, coordinate, action)
        return {
            "allowed": decision.allowed,
            "rule": decision.rule,
            "byDefault": decision.by_default,
            "relatedOnly": [f"{relation.name}: {rule}" for relation, rule in related],
        }

    # --- the three answers -----------------------------------------------------------------

    def _new_problems(
        self,
        before: Sequence[StoredLine],
        after: Sequence[StoredLine],
        coordinates: dict[str, str],
    ) -> tuple[dict[str, str], ...]:
        """Problems of the changed policy that the policy in force does not have (a line's
        problems are compared by its text and kind: line numbers move with the change)."""

        def problems(lines: Sequence[StoredLine]) -> list[tuple[str, str, str]]:
            numbered = [PolicyLine(n, line[0], tuple(line[1:])) for n, line in enumerate(lines, 1)]
            found = check_policy(
                numbered,
                self._model,
                coordinates,
                roles=self.roles,
                relations=self.enforcer.relations,
            )
            return [(numbered[p.line - 1].text, p.kind, p.message) for p in found]

        known = {(text, kind) for text, kind, _ in problems(before)}
        return tuple(
            {"rule": text, "kind": kind, "message": message}
            for text, kind, message in problems(after)
            if (text, kind) not in known
        )

    def _tests(self, proposed: _Hybrid, touched: dict[str, str]) -> tuple[dict[str, Any], ...]:
        """The cases whose operations reach a changed coordinate, run on the changed policy
        (the others are decided as before: their results cannot change)."""
        schema = self.schema_of()
        results = []
        for case in self._cases:
            if not touched.keys() & _reachable(schema, case):
                continue
            result = run_case(
                schema,
                case,
                lambda who: lambda coordinate, action: proposed.decide(who, coordinate, action),
                lambda who: (
                    lambda coordinate, action: proposed.conditional_grants(who, coordinate, action)
                ),
            )
            results.append(
                {"name": case.name, "passed": result.passed, "failures": list(result.failures)}
            )
        return tuple(results)

    def _effects(
        self,
        before: PolicyEnforcer,
        after: _Hybrid,
        changed: Iterable[PolicyRule],
        coordinates: dict[str, str],
    ) -> tuple[Effect, ...]:
        """For each role on its own (and each role a changed rule names), the coordinates a
        changed rule's object matches, asked with the rule's action (``*``: the one the gateway
        asks): where its access differs. Access is ``all`` objects, ``related`` ones only (a
        ``role@relation`` rule, where no rule decides otherwise) or none."""
        asked: set[tuple[str, str]] = set()
        subjects: dict[str, None] = dict.fromkeys(self.roles)
        for rule in changed:
            subjects.setdefault(rule.subject.partition("@")[0])
            for coordinate, default in coordinates.items():
                if glob_matches(coordinate, rule.object):
                    asked.add((coordinate, default if rule.action == "*" else rule.action))
        effects: list[Effect] = []
        for subject in subjects:
            who = Principal(subject, subject, (subject,), None)
            for coordinate, action in sorted(asked):
                had = _access(before, who, coordinate, action)
                has = _access(after, who, coordinate, action)
                if had != has:
                    change = "GAIN" if _LEVELS.index(has) > _LEVELS.index(had) else "LOSE"
                    related = "related" in (had, has)
                    effects.append(Effect(subject, change, coordinate, action, related))
        return tuple(effects)


_LEVELS = ("none", "related", "all")


def _access(policy: PolicyEnforcer | _Hybrid, who: Principal, coordinate: str, action: str) -> str:
    """As the gateway decides a field (``field_access``): a rule decides, else rules on
    related objects may grant it per object."""
    decision = policy.decide(who, coordinate, action)
    if decision.allowed:
        return "all"
    if decision.by_default and policy.conditional_grants(who, coordinate, action):
        return "related"
    return "none"


class _Hybrid:
    """The changed policy's decisions: its own on the touched coordinates, the policy in
    force's (cached there) everywhere else, where no changed rule reaches."""

    def __init__(
        self, changed: PolicyEnforcer, current: PolicyEnforcer, touched: dict[str, str]
    ) -> None:
        self.changed, self.current, self.touched = changed, current, touched

    def _for(self, coordinate: str) -> PolicyEnforcer:
        return self.changed if coordinate in self.touched else self.current

    def decide(self, who: Principal | None, coordinate: str, action: str) -> Decision:
        return self._for(coordinate).decide(who, coordinate, action)

    def conditional_grants(
        self,
        who: Principal | None,
        coordinate: str,
        action: str,
        relations: Iterable[str] | None = None,
    ) -> list[tuple[Relation, str]]:
        return self._for(coordinate).conditional_grants(who, coordinate, action, relations)


def _reachable(schema: GraphQLSchema, case: PolicyCase) -> set[str]:
    """Every coordinate the case's operation selects, whatever the policy decides."""
    try:
        operation = parse_operation(schema, case.operation, case.operation_name, case.variables)
    except OperationError:
        return set()  # run_case reports it the same under any policy
    trace = trace_operation(schema, operation, lambda _c, _a: Decision(True, "any"))
    return {f.coordinate for f in trace.fields if f.coordinate}


@cache
def _admin_schema() -> GraphQLSchema:
    return build_schema(SDL)
