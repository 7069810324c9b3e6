"""The authorize phase: one decision value per operation, caller and policy version.

:class:`Authorizer` is the field policy (the casbin enforcer, filter or reject, explanations,
searched arguments); :class:`Authorization` is the phase the pipeline runs: it walks the
operation once (``field_access.py``, encrypted fields decided on the way through
``protection.py``), keeps the :class:`~gateway.authz.decision.OperationDecision` per operation,
caller (subject, roles, department) and policy version, and refuses what the policy says to
refuse before anything is planned: a denied field in reject mode, a plaintext given as a
literal.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLSchema

from tandem_shared.tokens import Principal

from ..caching import BoundedCache
from ..errors import OperationError
from ..operation import NormalizedOperation
from .arguments import SearchedFields
from .decision import OperationDecision
from .enforcer import Decision, PolicyEnforcer
from .field_access import Decide, Grants, authorize_selections
from .protection import Protector

__all__ = ["Authorization", "Authorizer"]


class Authorizer:
    """Decides an operation's fields for a principal: filter denied fields (default) or reject.

    Filtering never hides a write: the pipeline refuses a mutation whose result the
    denials would null up to a root field (``side_effects.refuse_hidden_mutation``).
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        enforcer: PolicyEnforcer,
        *,
        reject: bool = False,
        explain: bool = False,
        cache_size: int = 10_000,
        searched: SearchedFields | None = None,
    ) -> None:
        self.schema = schema
        self.enforcer = enforcer
        self.reject = reject
        self.explain = explain
        self.cache_size = cache_size
        # arguments are decided too: explicit rules, else the fields they search (arguments.py)
        self.searched = searched if searched is not None else SearchedFields()

    def policy(
        self, principal: Principal | None
    ) -> tuple[Decide, Grants | None, SearchedFields | None]:
        """What the decision walk asks for ``principal``: fields, relation grants, arguments."""
        enforcer = self.enforcer

        def decide(coordinate: str, action: str) -> Decision:
            return enforcer.decide(principal, coordinate, action)

        def grants(coordinate: str, action: str) -> Any:
            return enforcer.conditional_grants(principal, coordinate, action)

        return decide, grants, self.searched

    def check(
        self,
        operation: NormalizedOperation,
        principal: Principal | None,
        decision: OperationDecision,
    ) -> None:
        """Per request, once decided: in reject mode a denied field refuses the operation."""
        if self.reject and decision.denials:
            coordinates = sorted({d.coordinate for d in decision.denials})
            raise OperationError(
                "not allowed: " + ", ".join(coordinates),
                code="FORBIDDEN",
                status=403,
                extensions={"coordinates": coordinates},
            )


def _allowed(coordinate: str, action: str) -> Decision:
    return Decision(True, "no field policy")


class Authorization:
    """The pipeline's authorize phase (see the module docstring); ``authorizer`` None: every
    field allowed, ``protector`` None: no encrypted field."""

    def __init__(
        self,
        schema: GraphQLSchema,
        authorizer: Authorizer | None,
        protector: Protector | None,
        *,
        cache_size: int = 10_000,
    ) -> None:
        self.schema = schema
        self.authorizer = authorizer
        self.protector = protector
        self._per_caller = authorizer is not None or protector is not None
        self._decisions: BoundedCache[tuple[Any, ...], OperationDecision] = BoundedCache(
            authorizer.cache_size if authorizer is not None else cache_size
        )

    def decide(
        self, operation: NormalizedOperation, principal: Principal | None
    ) -> OperationDecision:
        """The decision for ``principal`` (cached), or :class:`OperationError` when the
        policy refuses the whole operation."""
        key: tuple[Any, ...] = (operation,)
        if self._per_caller:
            identity = (
                (principal.subject, principal.roles, principal.department) if principal else None
            )
            key = (operation, identity, *self._versions())
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions.put(key, self._walk(operation, principal))
        if self.authorizer is not None:
            self.authorizer.check(operation, principal, decision)
        if decision.literal is not None:
            raise OperationError(
                f"{decision.literal} carries a plaintext to be encrypted: pass it as a variable",
                code="BAD_USER_INPUT",
            )
        return decision

    def _versions(self) -> tuple[int | None, int | None]:
        authorizer, protector = self.authorizer, self.protector
        return (
            authorizer.enforcer.version if authorizer is not None else None,
            protector.enforcer.version if protector is not None else None,
        )

    def _walk(
        self, operation: NormalizedOperation, principal: Principal | None
    ) -> OperationDecision:
        decide: Decide = _allowed
        grants: Grants | None = None
        searched: SearchedFields | None = None
        if self.authorizer is not None:
            decide, grants, searched = self.authorizer.policy(principal)
        return authorize_selections(
            self.schema,
            operation.selections,
            operation.root_type,
            operation.kind,
            decide,
            grants,
            searched,
            self.protector.walk(principal) if self.protector is not None else None,
        )
