"""``tandem policy test``: YAML cases, each a principal, an operation and what it should get."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from gateway.authz.enforcer import PolicyEnforcer
from gateway.authz.field_access import Grants
from gateway.authz.tools import Decide, PolicyCase, run_case
from gateway.policy_cli import PolicyCaseError, load_cases, main, parse_cases
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
FIXTURES = Path(__file__).parent / "fixtures"
DEMO = ROOT / "subgraphs" / "demo" / "supergraph.graphql"
FIXTURE = FIXTURES / "oa_erp.graphql"
COMPOSED = ROOT / "subgraphs" / "supergraph.graphql"
ENFORCER = PolicyEnforcer(POLICIES / "model.conf", POLICIES / "policy.csv")
# The tool's own tests run on two other supergraphs (the demo's, a fixture with a union and an
# interface): the shipped policy, plus rules for the types and root fields only they have.
FIXTURE_ENFORCER = ENFORCER.preview(
    [
        *ENFORCER.lines,
        ("p", "employee", "*", "Query.search", "read", "allow"),
        ("p", "employee", "*", "Query.node", "read", "allow"),
        ("p", "employee", "*", "OrderLine.*", "read", "allow"),
    ]
)


def decide_for(principal: Principal | None) -> Decide:
    return lambda coordinate, action: ENFORCER.decide(principal, coordinate, action)


def grants_for(principal: Principal | None) -> Grants:
    return lambda c, a: ENFORCER.conditional_grants(principal, c, a)


def fixture_decide_for(principal: Principal | None) -> Decide:
    return lambda coordinate, action: FIXTURE_ENFORCER.decide(principal, coordinate, action)


def _cases(path: Path) -> list[Any]:
    return [pytest.param(case, id=case.name) for case in load_cases(path)]


@pytest.mark.parametrize("case", _cases(FIXTURES / "demo_cases.yaml"))
def test_tool_cases_on_the_demo_supergraph(case: PolicyCase) -> None:
    result = run_case(load_supergraph(DEMO).api_schema, case, fixture_decide_for)
    assert result.failures == ()


@pytest.mark.parametrize("case", _cases(FIXTURES / "sensitive.yaml"))
def test_default_policy_cases_on_the_sensitive_oa_erp_coordinates(case: PolicyCase) -> None:
    result = run_case(load_supergraph(FIXTURE).api_schema, case, fixture_decide_for)
    assert result.failures == ()


SHIPPED = [case for path in sorted((POLICIES / "tests").glob("*.yaml")) for case in _cases(path)]


@pytest.mark.parametrize("case", SHIPPED)
def test_default_policy_cases_on_the_composed_oa_erp_supergraph(case: PolicyCase) -> None:
    result = run_case(load_supergraph(COMPOSED).api_schema, case, decide_for, grants_for)
    assert result.failures == ()


def test_fields_granted_on_related_objects_are_conditional_only_with_grants() -> None:
    """The gateway fetches an own-record field and decides it per object: with the grants
    (as ``tandem policy test`` runs) it is ``conditional``; without them, denied."""
    case = parse_cases(
        [
            {
                "name": "own salary",
                "principal": {"subject": "emp-001", "roles": ["employee"]},
                "operation": "{ me { salary { amount } } }",
                "conditional": ["Employee.salary"],
                "visible": ["Query.me", "Money.amount"],
                "denied": [],
            }
        ],
        "inline",
    )[0]
    schema = load_supergraph(COMPOSED).api_schema
    assert run_case(schema, case, decide_for, grants_for).failures == ()
    assert run_case(schema, case, decide_for).failures == (
        "Money.amount: expected visible, but the operation does not reach it",
        "Employee.salary: denied (default: deny unlisted) but not listed in denied",
        "Employee.salary: expected conditional, denied by default: deny unlisted",
    )


@pytest.mark.parametrize(
    "path", [FIXTURES / "sensitive.yaml", POLICIES / "tests" / "sensitive.yaml"]
)
def test_every_demo_role_is_tested_against_every_sensitive_coordinate(path: Path) -> None:
    cases = load_cases(path)
    sensitive = {
        "Employee.salary",
        "Employee.idCardNumber",
        "Employee.phone",
        "Supplier.bankAccount",
        "Customer.phone",
    }
    tested = {
        role
        for case in cases
        if case.principal is not None
        and sensitive
        <= (case.visible or frozenset())
        | (case.denied or frozenset())
        | (case.conditional or frozenset())
        for role in case.principal.roles
    }
    assert tested >= {
        "employee", "manager", "finance", "hr", "procurement",
        "sales", "production", "auditor", "security_admin", "integrator",
    }  # fmt: skip


CASE = """
- name: employee and salaries
  principal: {subject: emp-001, roles: [employee], department: dept-01}
  operation: '{ me { name salary { amount } } boss: me { manager { idCardNumber } } }'
"""


def _case(**expected: object) -> PolicyCase:
    [item] = yaml.safe_load(CASE)
    return parse_cases([{**item, **expected}], "inline")[0]


def _run(case: PolicyCase) -> tuple[str, ...]:
    return run_case(load_supergraph(FIXTURE).api_schema, case, decide_for).failures


def test_a_passing_case_has_no_failures() -> None:
    assert (
        _run(
            _case(
                visible=["Query.me", "Employee.name", "Employee.manager"],
                denied=["Employee.salary", "Employee.idCardNumber"],
                denied_paths=["me.salary", "boss.manager.idCardNumber"],
            )
        )
        == ()
    )


def test_failures_say_what_was_expected_and_which_rule_decided() -> None:
    assert _run(
        _case(
            visible=["Query.me", "Employee.salary", "Money.amount"],
            denied=["Employee.name", "Employee.idCardNumber"],
            denied_paths=["me.salary", "me.manager.idCardNumber"],
        )
    ) == (
        "Employee.salary: expected visible, denied by default: deny unlisted",
        "Money.amount: expected visible, but the operation does not reach it",
        "Employee.manager: visible (employee, *, Employee.manager, read, allow) "
        "but not listed in visible",
        "Employee.name: visible (employee, *, Employee.name, read, allow) "
        "but not listed in visible",
        "Employee.name: expected denied, allowed by employee, *, Employee.name, read, allow",
        "Employee.salary: denied (default: deny unlisted) but not listed in denied",
        "me.manager.idCardNumber: expected a denied path, but it is not denied",
        "boss.manager.idCardNumber: denied but not listed in denied_paths",
    )


def test_expectations_left_out_are_not_checked() -> None:
    assert _run(_case(denied=["Employee.salary", "Employee.idCardNumber"])) == ()
    assert _run(_case(denied_paths=["me.salary", "boss.manager.idCardNumber"])) == ()


def test_an_invalid_operation_fails_its_case() -> None:
    assert _run(_case(operation="{ me { salery } }", denied=[])) == (
        "the operation is invalid: Cannot query field 'salery' on type 'Employee'. "
        "Did you mean 'salary'?",
    )


def test_principals_anonymous_and_with_comma_separated_roles() -> None:
    anonymous = _case(principal=None, denied=["Query.me"])
    assert anonymous.principal is None and _run(anonymous) == ()
    case = _case(principal={"subject": "x", "roles": "employee, finance"}, denied=[])
    assert case.principal == Principal("x", "x", ("employee", "finance"), None, None)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"cases": []}, "inline: expected a list of cases"),
        ("text", "inline: expected a list of cases"),
        (["x"], "inline: case 1: a case is a mapping"),
        (
            [{"name": "a", "principal": None, "operation": "{ me { id } }", "visable": []}],
            "inline: a: unknown keys ['visable'] (known: name, principal, operation,",
        ),
        ([{"principal": None, "operation": "{ me { id } }"}], "case 1: expects nothing"),
        ([{"operation": "{ me { id } }", "denied": []}], "case 1: no 'principal'"),
        ([{"principal": None, "denied": []}], "case 1: 'operation' must be GraphQL text"),
        (
            [{"principal": {"roles": ["x"]}, "operation": "{ me { id } }", "denied": []}],
            "'principal' needs a 'subject'",
        ),
        (
            [{"principal": {"subject": "x", "role": "hr"}, "operation": "{ a }", "denied": []}],
            "case 1: principal: unknown keys ['role']",
        ),
        (
            [{"principal": {"subject": "x", "roles": [1]}, "operation": "{ a }", "denied": []}],
            "'roles' is a list of role names",
        ),
        (
            [{"principal": {"subject": "x", "department": 3}, "operation": "{ a }", "denied": []}],
            "'name', 'department' and 'client_id' are strings",
        ),
        ([{"principal": None, "operation": "{ a }", "denied": "Employee.salary"}], "a list"),
        ([{"principal": None, "operation": "{ a }", "denied": [], "variables": [1]}], "mapping"),
    ],
)
def test_malformed_case_files_are_refused_with_the_reason(document: object, message: str) -> None:
    with pytest.raises(PolicyCaseError) as raised:
        parse_cases(document, "inline")
    assert message in raised.value.message


def test_the_cli_reports_pass_and_fail_per_case_and_exits_1_on_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    # the CLI decides as the gateway does: own-record fields (employee@self) are conditional
    (cases / "a.yaml").write_text(
        CASE.replace(
            "'\n", "'\n  conditional: [Employee.salary, Employee.idCardNumber]\n  denied: []\n", 1
        ),
        encoding="utf-8",
    )
    (cases / "b.yml").write_text(
        "cases:\n" + CASE.replace("'\n", "'\n  denied: [Employee.salary]\n", 1),
        encoding="utf-8",
    )
    (cases / "notes.txt").write_text("not a case file", encoding="utf-8")
    args = ["test", "--supergraph", str(FIXTURE), "--policy", str(POLICIES)]
    assert main([*args, str(cases)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"PASS  {cases}/a.yaml: employee and salaries",
        f"FAIL  {cases}/b.yml: employee and salaries",
        "        Employee.salary: expected denied, conditional by "
        "employee@self, *, Employee.salary, read, allow",
        "1 passed, 1 failed",
    ]
    assert main([*args, str(cases / "a.yaml")]) == 0
    assert capsys.readouterr().out.endswith("1 passed, 0 failed\n")
    assert main([*args, "--default", "allow", str(cases / "a.yaml")]) == 1
    capsys.readouterr()


def test_the_cli_runs_the_shipped_cases(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["test", "--supergraph", str(COMPOSED), "--policy", str(POLICIES), str(POLICIES / "tests")]
    )
    assert code == 0, capsys.readouterr().out
    assert capsys.readouterr().out.endswith(" passed, 0 failed\n")


def test_the_cli_exits_2_on_an_unreadable_case_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases: [\n", encoding="utf-8")
    args = ["test", "--supergraph", str(FIXTURE), "--policy", str(POLICIES)]
    assert main([*args, str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"tandem policy: {bad}: not YAML:")
    assert main([*args, str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: No such file or directory" in capsys.readouterr().err
