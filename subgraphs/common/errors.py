"""Coded GraphQL errors for the subgraphs, and the extension that hides unexpected ones.

The tree (``extensions.code`` on the right)::

    SubgraphError                 base: a client-safe message and a code
      Unauthenticated             UNAUTHENTICATED   no valid gateway identity (HTTP 401)
      Forbidden                   FORBIDDEN         the principal may not do this
      BadUserInput                BAD_USER_INPUT    an argument is invalid; names its ``field``
      BadUserInputs               BAD_USER_INPUT    several arguments are: one error each
      NotFound                    NOT_FOUND         the record does not exist (or is not visible)
      Conflict                    CONFLICT          the state forbids it (double booking, decided)
      InternalError               INTERNAL          a bug or an outage; details only in the log

Raise them from resolvers: graphql-core copies ``extensions`` onto the located error.
Anything else a resolver raises is logged with its traceback by :class:`MaskInternalErrors`
and answered as ``INTERNAL`` with a fixed message (strawberry's ``MaskErrors`` is the model).
:class:`InputChecks` gathers the ``BadUserInput`` of several checks so that a mutation reports
every invalid argument at once (:class:`BadUserInputs`, answered as one error per argument).
An argument value its type cannot parse (a literal or a variable) is answered as
``BAD_USER_INPUT`` naming the argument (:mod:`subgraphs.common.input_errors`).
A principal HR deactivated is refused before anything runs, ``EMPLOYEE_DEACTIVATED``
(:mod:`subgraphs.common.standing`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from subgraphs.common.input_errors import input_error

__all__ = [
    "INTERNAL_MESSAGE",
    "BadUserInput",
    "BadUserInputs",
    "Conflict",
    "ErrorCode",
    "Forbidden",
    "InputChecks",
    "InternalError",
    "MaskInternalErrors",
    "NotFound",
    "SubgraphError",
    "Unauthenticated",
    "graphql_error_body",
    "is_client_safe",
]

T = TypeVar("T")

INTERNAL_MESSAGE = "Internal server error."
"""The only message a client sees for an unexpected error."""

logger = logging.getLogger("tandem.subgraphs.errors")


class ErrorCode(StrEnum):
    """The documented ``extensions.code`` values a subgraph returns."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    EMPLOYEE_DEACTIVATED = "EMPLOYEE_DEACTIVATED"
    INTERNAL = "INTERNAL"


class SubgraphError(Exception):
    """An error whose message is safe to return; ``extensions`` carries its code."""

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL
    status: ClassVar[int] = 200
    """The HTTP status when the error ends the whole request (GraphQL errors are 200)."""

    def __init__(self, message: str, *, extensions: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {**(extensions or {}), "code": self.code.value}


class Unauthenticated(SubgraphError):
    """The request carries no valid gateway identity token."""

    code = ErrorCode.UNAUTHENTICATED
    status = 401


class Forbidden(SubgraphError):
    """The principal is known but may not do this."""

    code = ErrorCode.FORBIDDEN


class BadUserInput(SubgraphError):
    """An argument is invalid; ``field`` names it, as a dotted path: ``input.lines.0.amount``."""

    code = ErrorCode.BAD_USER_INPUT

    def __init__(
        self, message: str, *, field: str, extensions: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, extensions={**(extensions or {}), "field": field})
        self.field = field


class BadUserInputs(SubgraphError):
    """Several arguments are invalid; each is answered as its own ``BAD_USER_INPUT`` error."""

    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, errors: Sequence[BadUserInput]) -> None:
        super().__init__(errors[0].message, extensions=errors[0].extensions)
        self.errors = tuple(errors)


class InputChecks:
    """Runs checks of a mutation's arguments, keeping their ``BadUserInput`` instead of
    stopping at the first; :meth:`done` raises them all together (if any)::

        checks = InputChecks()
        title = checks(check_text, spec.title, field="input.title")
        period = checks(check_period, spec.period, field="input.period")
        checks.done()   # BadUserInputs naming both, or BadUserInput, or nothing
    """

    def __init__(self) -> None:
        self.errors: list[BadUserInput] = []

    def __call__(self, check: Callable[..., T], /, *args: Any, **kwargs: Any) -> T | None:
        """``check(*args, **kwargs)``, or None after keeping the ``BadUserInput`` it raised."""
        try:
            return check(*args, **kwargs)
        except BadUserInputs as several:
            self.errors.extend(several.errors)
        except BadUserInput as error:
            self.errors.append(error)
        return None

    def fail(self, message: str, *, field: str) -> None:
        """Keep a ``BadUserInput`` found without a check function."""
        self.errors.append(BadUserInput(message, field=field))

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def done(self) -> None:
        """Raise what was kept: one error as itself, several as :class:`BadUserInputs`."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise BadUserInputs(self.errors)


class NotFound(SubgraphError):
    """The record does not exist, or the principal may not know that it does."""

    code = ErrorCode.NOT_FOUND


class Conflict(SubgraphError):
    """The current state forbids the change (a double booking, an already decided step)."""

    code = ErrorCode.CONFLICT


class InternalError(SubgraphError):
    """A failure the client cannot fix; raise it with a message that reveals nothing."""

    code = ErrorCode.INTERNAL


def is_client_safe(error: GraphQLError) -> bool:
    """True for errors whose message may be shown: coded, or from GraphQL itself.

    GraphQL's own errors (syntax, validation, variable coercion) have no original error;
    a resolver may raise a ``GraphQLError`` or a :class:`SubgraphError` on purpose.
    Every other original error is unexpected.
    """
    original = error.original_error
    return original is None or isinstance(original, SubgraphError | GraphQLError)


class MaskInternalErrors(SchemaExtension):
    """Log unexpected resolver errors server-side; answer them as ``INTERNAL`` without details."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult) and result.errors:
            document = self.execution_context.graphql_document
            result.errors = [
                expanded
                for error in result.errors
                for expanded in _each_input_error(error)
                or [input_error(error, document) or _masked(error)]
            ]


def graphql_error_body(error: SubgraphError) -> dict[str, Any]:
    """A whole GraphQL response carrying only ``error`` (for errors raised before execution)."""
    return {"errors": [{"message": error.message, "extensions": dict(error.extensions)}]}


def _each_input_error(error: GraphQLError) -> list[GraphQLError]:
    """One located error per invalid argument of a :class:`BadUserInputs` (else none)."""
    original = error.original_error
    if not isinstance(original, BadUserInputs):
        return []
    return [
        GraphQLError(
            each.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=each,
            extensions=dict(each.extensions),
        )
        for each in original.errors
    ]


def _masked(error: GraphQLError) -> GraphQLError:
    if is_client_safe(error):
        return error
    logger.error(
        "unexpected error at %s",
        ".".join(map(str, error.path or ())) or "<operation>",
        exc_info=error.original_error,
    )
    return GraphQLError(
        INTERNAL_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL.value},
    )
