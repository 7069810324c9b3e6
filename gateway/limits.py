"""Limits on the size of an operation, checked before it is validated or planned.

Why: validation, normalization and planning cost time proportional to the operation *after*
its fragments are expanded, and a few hundred bytes can expand to millions of fields (18
fragments each spreading the previous one twice: 2^18). Every such step runs on the event
loop, so one caller's document would stall every other caller. The figures here are measured
on the parsed document in one pass over its nodes, each fragment once, never expanding
anything, so measuring costs time linear in the document whatever it would expand to.

What is limited (:class:`OperationLimits`), each with the caller's maximum:

``tokens``       lexical tokens, comments included; enforced by the parser while it reads
``operations``   operation definitions in one document
``directives``   directives on any one location (a field, a fragment spread, an operation...)
``fields``       fields selected, counting each fragment spread as the fields it expands to
``aliases``      aliased fields, expanded the same way
``root_fields``  fields selected at an operation's root, expanded the same way
``depth``        the deepest field nesting, through fragments
``merge_checks`` units of work the spec's field-merging rule may spend
                 (:class:`~graphql.validation.OverlappingFieldsCanBeMergedRule` is quadratic
                 in same-named fields; graphql-core meters it and aborts past a budget)

A document over a limit gets :class:`LimitExceeded`: ``extensions.code`` is
``OPERATION_LIMIT_EXCEEDED``, ``extensions.limit`` names the limit and ``extensions.maximum``
gives the caller's maximum. Callers who are not signed in get their own, stricter limits
(:class:`CallerLimits`): in the default configuration they may do little more than sign in.

A batched request (``http/batching.py``) is held to these limits operation by operation, each
operation as if it came alone, and to ``max_body_bytes`` as a whole; ``batching_max_size``
bounds how many operations share one body, so a batch costs at most that many times what one
operation may.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    Source,
    SourceLocation,
    ValidationContext,
    parse,
)
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import OverlappingFieldsCanBeMergedRule, ValidationRule
from graphql.validation.validate import ValidationAbortedError

from .errors import OperationError

__all__ = [
    "CallerLimits",
    "DocumentCost",
    "LimitExceeded",
    "OperationLimits",
    "bounded_rules",
    "measure",
    "merge_rule",
    "parse_within",
]

_CAP = 10**12  # expanded figures stop growing here (the limits are far below)


class LimitExceeded(OperationError):
    """The document is over one of the caller's limits (400, ``OPERATION_LIMIT_EXCEEDED``)."""

    code = "OPERATION_LIMIT_EXCEEDED"

    def __init__(self, limit: str, maximum: int, message: str) -> None:
        super().__init__(message, extensions={"limit": limit, "maximum": maximum})
        self.limit = limit
        self.maximum = maximum


@dataclass(frozen=True)
class OperationLimits:
    """One caller class's maximum for each measured figure (module docstring)."""

    tokens: int = 5_000
    operations: int = 20
    directives: int = 10
    fields: int = 3_000
    aliases: int = 200
    root_fields: int = 50
    depth: int = 20
    merge_checks: int = 10_000

    def admit(self, query: str, signed_in: bool) -> tuple[DocumentNode, DocumentCost]:
        """Parse ``query`` within the token limit, measure it and check every figure: what
        the pipeline does with a document it has not seen before validating it."""
        document = parse_within(query, self, _who(signed_in))
        cost = measure(document)
        self.check(cost, signed_in)
        return document, cost

    def check(self, cost: DocumentCost, signed_in: bool) -> None:
        """Raise :class:`LimitExceeded` for the first figure of ``cost`` over its maximum."""
        for name, what in _DESCRIPTIONS:
            found = getattr(cost, name)
            maximum: int = getattr(self, name)
            if found > maximum:
                raise LimitExceeded(
                    name,
                    maximum,
                    f"operation limit exceeded: {what} {found} "
                    f"(at most {maximum} for {_who(signed_in)})",
                )

    def check_validation(self, errors: Sequence[GraphQLError]) -> None:
        """Validation stopped by the field-merging rule's budget is the ``merge_checks``
        limit, not an invalid document."""
        for error in errors:
            if isinstance(error, ValidationAbortedError) and error.message == _ABORTED:
                raise LimitExceeded(
                    "merge_checks",
                    self.merge_checks,
                    "operation limit exceeded: checking that same-named fields can be "
                    f"merged needs more than {self.merge_checks} units of work",
                )


def _who(signed_in: bool) -> str:
    return "signed-in callers" if signed_in else "callers who are not signed in"


_ABORTED = "Validation aborted."  # graphql-core's message when a work budget runs out

_DESCRIPTIONS = (
    ("tokens", "tokens"),
    ("operations", "operations in one document"),
    ("directives", "directives on one location"),
    ("fields", "fields after expanding fragments"),
    ("aliases", "aliases after expanding fragments"),
    ("root_fields", "root fields of an operation"),
    ("depth", "field depth"),
)


@dataclass(frozen=True)
class CallerLimits:
    """The limits of callers who are signed in and of those who are not."""

    signed_in: OperationLimits = field(default_factory=OperationLimits)
    anonymous: OperationLimits = field(
        default_factory=lambda: OperationLimits(
            tokens=1_000,
            operations=5,
            directives=5,
            fields=1_000,
            aliases=20,
            root_fields=10,
            depth=20,
            merge_checks=2_000,
        )
    )

    def of(self, signed_in: bool) -> OperationLimits:
        return self.signed_in if signed_in else self.anonymous


@dataclass(frozen=True)
class DocumentCost:
    """What a parsed document measures (module docstring); kept with the cached document."""

    tokens: int = 0
    operations: int = 0
    directives: int = 0
    fields: int = 0
    aliases: int = 0
    root_fields: int = 0
    depth: int = 0


@dataclass
class _Figures:
    """One selection set's expanded figures (a fragment's, memoized by name)."""

    fields: int = 0
    aliases: int = 0
    depth: int = 0
    root_fields: int = 0


class _Source(Source):
    """A source whose error locations cost time proportional to the error's position.

    graphql-core finds a position's line by scanning the body for line breaks until one lies
    past the position: in a body without line breaks (a one-line 800 KB document stopped at
    its 1000th token) that is the whole body, 20 ms per refusal, which is most of what an
    attacker would cost us.
    """

    def get_location(self, position: int) -> SourceLocation:
        head = self.body[:position]
        line_start = max(head.rfind("\n"), head.rfind("\r")) + 1
        lines = head.count("\n") + head.count("\r") - head.count("\r\n") + 1
        return SourceLocation(lines, position + 1 - line_start)


def parse_within(query: str, limits: OperationLimits, who: str) -> DocumentNode:
    """Parse ``query``, stopping the lexer after the caller's token limit.

    graphql-core reports the limit as a syntax error; it is told apart by its message, which
    names the maximum we passed (a test pins the wording).
    """
    try:
        return parse(_Source(query), max_tokens=limits.tokens)
    except GraphQLSyntaxError as error:
        if f"more than {limits.tokens} tokens" in error.message:
            raise LimitExceeded(
                "tokens",
                limits.tokens,
                f"operation limit exceeded: more than {limits.tokens} tokens "
                f"(at most {limits.tokens} for {who})",
            ) from None
        raise


def measure(document: DocumentNode) -> DocumentCost:
    """The figures of ``document`` in one pass over its nodes (fragments measured once)."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    directives = 0
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
        directives = max(directives, len(getattr(definition, "directives", None) or ()))
        for variable in getattr(definition, "variable_definitions", None) or ():
            directives = max(directives, len(variable.directives or ()))
    memo: dict[str, _Figures] = {}
    for name in _dependency_order(fragments):
        figures, most = _walk(fragments[name].selection_set, memo)
        memo[name] = figures
        directives = max(directives, most)
    cost = _Figures()
    for operation in operations:
        figures, most = _walk(operation.selection_set, memo)
        directives = max(directives, most)
        cost.fields = min(_CAP, cost.fields + figures.fields)
        cost.aliases = min(_CAP, cost.aliases + figures.aliases)
        cost.depth = max(cost.depth, figures.depth)
        cost.root_fields = max(cost.root_fields, figures.root_fields)
    return DocumentCost(
        tokens=int(getattr(document, "token_count", 0)),
        operations=len(operations),
        directives=directives,
        fields=cost.fields,
        aliases=cost.aliases,
        root_fields=cost.root_fields,
        depth=cost.depth,
    )


def _spreads(selection_set: SelectionSetNode) -> Iterable[str]:
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            else:
                nested = getattr(selection, "selection_set", None)
                if nested is not None:
                    stack.append(nested)


def _dependency_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after the fragments it spreads (iterative post-order; a spread
    closing a cycle is skipped, the validation rules report the cycle)."""
    order: list[str] = []
    done: set[str] = set()
    for root in fragments:
        if root in done:
            continue
        path = [(root, iter(list(_spreads(fragments[root].selection_set))))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in fragments and spread not in done and spread not in on_path:
                    path.append((spread, iter(list(_spreads(fragments[spread].selection_set)))))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _walk(selection_set: SelectionSetNode, memo: dict[str, _Figures]) -> tuple[_Figures, int]:
    """The expanded figures of one selection set and the most directives on one of its nodes.

    Iterative, so neither deep nesting nor long fragment chains reach the recursion limit;
    a spread adds its fragment's memoized figures instead of walking it again.
    """
    figures = _Figures()
    most = 0
    stack: list[tuple[Sequence[Any], int]] = [(selection_set.selections, 0)]
    while stack:
        selections, depth = stack.pop()
        for selection in selections:
            most = max(most, len(selection.directives or ()))
            if isinstance(selection, FieldNode):
                figures.fields += 1
                figures.aliases += selection.alias is not None
                figures.root_fields += depth == 0
                figures.depth = max(figures.depth, depth + 1)
                if selection.selection_set is not None:
                    stack.append((selection.selection_set.selections, depth + 1))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set.selections, depth))
            elif isinstance(selection, FragmentSpreadNode):
                spread = memo.get(selection.name.value)
                if spread is not None:
                    figures.fields = min(_CAP, figures.fields + spread.fields)
                    figures.aliases = min(_CAP, figures.aliases + spread.aliases)
                    figures.depth = max(figures.depth, depth + spread.depth)
                    if depth == 0:
                        figures.root_fields = min(_CAP, figures.root_fields + spread.root_fields)
    return figures, most


def bounded_rules(
    rules: Sequence[type[ValidationRule]], limits: OperationLimits
) -> list[type[ValidationRule]]:
    """``rules`` with the spec's field-merging rule given the ``merge_checks`` budget."""
    bounded = merge_rule(limits.merge_checks)
    return [bounded if rule is OverlappingFieldsCanBeMergedRule else rule for rule in rules]


def merge_rule(budget: int) -> type[ValidationRule]:
    """The spec's field-merging rule with ``budget`` units of work instead of graphql-core's
    500,000 (about a second and a half here): past it, validation stops with
    ``ValidationAbortedError``, which the pipeline reports as the ``merge_checks`` limit."""

    class BudgetedOverlappingFieldsRule(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.rule_context.remaining_complexity_budget = budget

    return BudgetedOverlappingFieldsRule
