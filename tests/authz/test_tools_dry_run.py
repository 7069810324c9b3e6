"""Dry run: decisions computed and logged as in production, nothing enforced."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.authz.dry_run import DryRunAuthorizer
from gateway.authz.enforcer import Decision, PolicyEnforcer
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
SUPERGRAPH = load_supergraph(Path(__file__).parent / "fixtures" / "oa_erp.graphql")
EMPLOYEE = Principal("emp-001", "Emp", ("employee",), "dept-01")
QUERY = '{ employee(id: "emp-secret-42") { name salary { amount } } }'


class CountingEnforcer(PolicyEnforcer):
    calls = 0

    def decide(self, principal: Principal | None, coordinate: str, action: str) -> Decision:
        self.calls += 1
        return super().decide(principal, coordinate, action)


@pytest.fixture
def enforcer() -> CountingEnforcer:
    return CountingEnforcer(POLICIES / "model.conf", POLICIES / "policy.csv")


@pytest.fixture
def gateway(enforcer: CountingEnforcer) -> Gateway:
    authorizer = DryRunAuthorizer(SUPERGRAPH.api_schema, enforcer, reject=True)
    return Gateway(SUPERGRAPH, authorizer=authorizer)


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "tandem.authz.dry_run"
    ]


def test_would_be_denied_fields_are_still_planned_and_logged_as_warnings(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "tandem.authz.dry_run")
    plan = str(gateway.plan(QUERY, principal=EMPLOYEE))
    assert "salary" in plan and "amount" in plan  # fetched: nothing is enforced
    # Money.amount (under the would-be-denied salary) is decided and logged too, at INFO
    assert _records(caplog) == [
        (
            "WARNING",
            "authz dry-run: would deny read Employee.salary for emp-001 "
            "(roles employee; department dept-01): default: deny unlisted",
        ),
    ]
    record = next(r for r in caplog.records if r.name == "tandem.authz.dry_run")
    assert (record.coordinate, record.subject, record.decision, record.rule) == (  # type: ignore[attr-defined]
        "Employee.salary",
        "emp-001",
        "deny",
        "default: deny unlisted",
    )


def test_allows_are_logged_at_info_and_no_data_is(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "tandem.authz.dry_run")
    gateway.plan(QUERY, principal=EMPLOYEE)
    assert [m for level, m in _records(caplog) if level == "INFO"] == [
        "authz dry-run: would allow read Query.employee for emp-001 "
        "(roles employee; department dept-01): employee, *, Query.employee, read, allow",
        "authz dry-run: would allow read Employee.name for emp-001 "
        "(roles employee; department dept-01): employee, *, Employee.name, read, allow",
        "authz dry-run: would allow read Money.amount for emp-001 "
        "(roles employee; department dept-01): employee, *, Money.*, read, allow",
    ]
    assert "emp-secret-42" not in caplog.text  # arguments (data) never appear


def test_anonymous_callers_and_mutations_are_logged_too(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "tandem.authz.dry_run")
    gateway.plan('mutation { postJournalEntry(memo: "m") { id } }')
    assert _records(caplog)[0] == (
        "WARNING",
        "authz dry-run: would deny write Mutation.postJournalEntry for anonymous "
        "(roles -; department -): default: deny unlisted",
    )


def test_each_request_logs_but_decisions_are_computed_once_per_policy_version(
    gateway: Gateway, enforcer: CountingEnforcer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "tandem.authz.dry_run")
    gateway.plan(QUERY, principal=EMPLOYEE)
    calls = enforcer.calls
    gateway.plan(QUERY, principal=EMPLOYEE)
    assert enforcer.calls == calls
    assert len(_records(caplog)) == 2  # one would-be denial per request
    enforcer.reload()
    gateway.plan(QUERY, principal=EMPLOYEE)
    assert enforcer.calls == 2 * calls


def test_nothing_is_logged_when_the_logger_is_off(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "tandem.authz.dry_run")
    gateway.plan(QUERY, principal=EMPLOYEE)
    assert _records(caplog) == []
