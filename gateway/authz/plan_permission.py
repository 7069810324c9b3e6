"""Who may see query plans (``POST /plan``, the console's Explorer): a policy decision on a
coordinate of the gateway's own, as the admin APIs are decided on theirs.

The coordinate is :data:`PLAN_COORDINATE` (``Gateway.queryPlan``) with action ``read``. Only a
rule allows it: a policy whose default is allow grants no plans, and without a policy nobody
sees one. ``tandem policy check`` counts the coordinate as the gateway's, like the admin API's
(:data:`GATEWAY_COORDINATES`).
"""

from __future__ import annotations

from collections.abc import Callable

from tandem_shared.tokens import Principal

from .enforcer import PolicyEnforcer

__all__ = ["GATEWAY_COORDINATES", "PLAN_ACTION", "PLAN_COORDINATE", "MayPlan", "policy_permission"]

PLAN_COORDINATE = "Gateway.queryPlan"
PLAN_ACTION = "read"
GATEWAY_COORDINATES = {PLAN_COORDINATE: PLAN_ACTION}
"""The coordinates the gateway decides for itself, outside any API schema, and their action."""

MayPlan = Callable[[Principal], bool]
"""Whether a signed-in caller may see query plans."""


def policy_permission(enforcer: PolicyEnforcer | None) -> MayPlan:
    """Plans for whom a rule of ``enforcer``'s policy allows them (module docstring)."""

    def may_plan(principal: Principal) -> bool:
        if enforcer is None:
            return False
        decision = enforcer.decide(principal, PLAN_COORDINATE, PLAN_ACTION)
        return decision.allowed and not decision.by_default

    return may_plan
