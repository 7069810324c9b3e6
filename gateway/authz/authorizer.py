"""Field authorization for the pipeline: decisions per principal, cached per policy version."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLSchema

from tandem_shared.tokens import Principal

from ..errors import OperationError
from ..operation import NormalizedOperation
from .arguments import SearchedFields
from .enforcer import PolicyEnforcer
from .field_access import AccessDecision, authorize_selections

__all__ = ["Authorizer"]


class Authorizer:
    """Decides an operation for a principal: filter denied fields (default) or reject.

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
        self._cache: dict[tuple[Any, ...], tuple[NormalizedOperation, AccessDecision]] = {}

    def access(
        self,
        operation_key: tuple[Any, ...],
        operation: NormalizedOperation,
        principal: Principal | None,
    ) -> AccessDecision:
        identity = (principal.subject, principal.roles, principal.department) if principal else None
        cache_key = (id(operation), identity, self.enforcer.version)
        cached = self._cache.get(cache_key)
        decision = cached[1] if cached is not None and cached[0] is operation else None
        if decision is None:
            decision = authorize_selections(
                self.schema,
                operation.selections,
                operation.root_type,
                operation.kind,
                lambda coordinate, action: self.enforcer.decide(principal, coordinate, action),
                lambda coordinate, action: self.enforcer.conditional_grants(
                    principal, coordinate, action
                ),
                self.searched,
            )
            if len(self._cache) >= self.cache_size:
                self._cache = {}
            self._cache[cache_key] = (operation, decision)
        if self.reject and decision.denials:
            coordinates = sorted({d.coordinate for d in decision.denials})
            raise OperationError(
                "not allowed: " + ", ".join(coordinates),
                code="FORBIDDEN",
                status=403,
                extensions={"coordinates": coordinates},
            )
        return decision
