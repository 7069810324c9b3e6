"""Who may see query plans (``authz/plan_permission.py``): a rule on ``Gateway.queryPlan``
allows, nothing else does: not the default of a policy that allows unlisted coordinates, not
the absence of a policy. The default policy gives plans to the roles that develop against the
API."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.authz.enforcer import PolicyEnforcer
from gateway.authz.plan_permission import policy_permission
from tandem_shared.tokens import Principal

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _person(*roles: str) -> Principal:
    return Principal(subject="emp-900", name="Test Person", roles=roles, department="dept-01")


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        (("integrator",), True),
        (("employee", "security_admin"), True),
        (("employee", "auditor"), True),  # its read of every coordinate
        (("employee",), False),
        (("employee", "manager", "finance", "hr"), False),
        ((), False),
    ],
)
def test_the_default_policy_gives_plans_to_developer_roles(
    roles: tuple[str, ...], allowed: bool
) -> None:
    may_plan = policy_permission(PolicyEnforcer(POLICIES / "model.conf", POLICIES / "policy.csv"))
    assert may_plan(_person(*roles)) is allowed


def test_a_policy_allowing_by_default_grants_no_plans(tmp_path: Path) -> None:
    (tmp_path / "policy.csv").write_text("p, employee, *, Query.me, read, allow\n")
    enforcer = PolicyEnforcer(POLICIES / "model.conf", tmp_path / "policy.csv", default_allow=True)
    assert enforcer.decide(_person("employee"), "Gateway.queryPlan", "read").allowed
    assert policy_permission(enforcer)(_person("employee")) is False


def test_a_deny_rule_overrides_the_grant(tmp_path: Path) -> None:
    (tmp_path / "policy.csv").write_text(
        "p, integrator, *, Gateway.queryPlan, read, allow\np, emp-900, *, Gateway.*, read, deny\n"
    )
    may_plan = policy_permission(PolicyEnforcer(POLICIES / "model.conf", tmp_path / "policy.csv"))
    assert may_plan(_person("integrator")) is False
    assert may_plan(Principal(subject="svc-1", name="Client", roles=("integrator",))) is True


def test_without_a_policy_nobody_sees_plans() -> None:
    assert policy_permission(None)(_person("integrator")) is False
