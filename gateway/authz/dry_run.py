"""Dry-run authorization: every field decided and logged as in production, nothing enforced.

For trying a policy on real traffic before enforcing it (``--authz-mode dry-run``). Each
request logs, once per coordinate and action it selects, the decision the gateway *would*
have taken, on the ``tandem.authz.dry_run`` logger: would-be denials at WARNING, allows at
INFO. A line names the coordinate, the action, the principal's subject, roles and department,
the decision and the deciding rule; never data, arguments, variables or tokens. The structured
fields are also on the record (``extra``) for JSON log handlers.

Fields under a would-be-denied field are decided and logged as well (they are fetched in dry
run). The decisions are computed once per operation, principal and policy version.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from functools import cached_property
from typing import Any

from tandem_shared.tokens import Principal

from ..operation import NormalizedOperation
from .arguments import SearchedFields
from .authorizer import Authorizer
from .decision import OperationDecision
from .enforcer import Decision
from .field_access import Decide, Grants, authorize_selections

__all__ = ["DryRunAuthorizer"]

log = logging.getLogger("tandem.authz.dry_run")

_Decided = tuple[tuple[str, str, Decision], ...]  # (coordinate, action, decision), in order


class DryRunAuthorizer(Authorizer):
    """An :class:`Authorizer` that logs its decisions and lets every field through.

    Built like an :class:`Authorizer`; ``reject`` and ``explain`` have no effect.
    """

    @cached_property
    def _decided(self) -> OrderedDict[tuple[Any, ...], tuple[NormalizedOperation, _Decided]]:
        return OrderedDict()

    def policy(
        self, principal: Principal | None
    ) -> tuple[Decide, Grants | None, SearchedFields | None]:
        """Every field allowed: dry run enforces nothing (encrypted fields aside)."""
        return _allowed, None, None

    def check(
        self,
        operation: NormalizedOperation,
        principal: Principal | None,
        decision: OperationDecision,
    ) -> None:
        """Log what enforcement would have decided, for every request."""
        for coordinate, action, would in self.decisions(operation, principal):
            _log(coordinate, action, would, principal)

    def decisions(self, operation: NormalizedOperation, principal: Principal | None) -> _Decided:
        """What enforcement would decide for each coordinate and action of ``operation``."""
        identity = (principal.subject, principal.roles, principal.department) if principal else None
        key = (operation, identity, self.enforcer.version)
        cached = self._decided.get(key)
        if cached is not None:
            self._decided.move_to_end(key)
            return cached[1]
        decided: dict[tuple[str, str], Decision] = {}

        def decide(coordinate: str, action: str) -> Decision:
            decision = self.enforcer.decide(principal, coordinate, action)
            decided.setdefault((coordinate, action), decision)
            return Decision(True, decision.rule)  # go on below: dry run fetches everything

        authorize_selections(
            self.schema, operation.selections, operation.root_type, operation.kind, decide
        )
        result = tuple((c, a, d) for (c, a), d in decided.items())
        self._decided[key] = (operation, result)
        while len(self._decided) > self.cache_size:
            self._decided.popitem(last=False)
        return result


def _allowed(coordinate: str, action: str) -> Decision:
    return Decision(True, "dry run")


def _log(coordinate: str, action: str, decision: Decision, principal: Principal | None) -> None:
    level = logging.INFO if decision.allowed else logging.WARNING
    if not log.isEnabledFor(level):
        return
    subject = principal.subject if principal else "anonymous"
    roles = ",".join(principal.roles) if principal else ""
    department = (principal.department if principal else None) or "-"
    verdict = "allow" if decision.allowed else "deny"
    log.log(
        level,
        "authz dry-run: would %s %s %s for %s (roles %s; department %s): %s",
        verdict,
        action,
        coordinate,
        subject,
        roles or "-",
        department,
        decision.rule,
        extra={
            "coordinate": coordinate,
            "action": action,
            "subject": subject,
            "roles": roles,
            "department": department,
            "decision": verdict,
            "rule": decision.rule,
        },
    )
