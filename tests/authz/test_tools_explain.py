"""``tandem policy explain``: every selected field, however reached, with the rule deciding it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.authz.authorizer import Authorizer
from gateway.authz.enforcer import PolicyEnforcer
from gateway.authz.tools import Trace, Traced, parse_operation, trace_operation
from gateway.errors import OperationError
from gateway.pipeline import Gateway
from gateway.policy_cli import main, render_trace
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
FIXTURE = Path(__file__).parent / "fixtures" / "oa_erp.graphql"
SUPERGRAPH = load_supergraph(FIXTURE)
SCHEMA = SUPERGRAPH.api_schema
ENFORCER = PolicyEnforcer(POLICIES / "model.conf", POLICIES / "policy.csv")
# the fixture's root fields that the composed supergraph does not have (union, interface)
ENFORCER.load_lines(
    [
        *ENFORCER.lines,
        ("p", "employee", "*", "Query.search", "read", "allow"),
        ("p", "employee", "*", "Query.node", "read", "allow"),
    ]
)

EMPLOYEE = Principal("emp-001", "Emp", ("employee",), "dept-01")
AUDITOR = Principal("aud-001", "Aud", ("auditor",), "dept-08")


def trace(query: str, principal: Principal | None = EMPLOYEE, **variables: object) -> Trace:
    operation = parse_operation(SCHEMA, query, variables=variables)
    return trace_operation(SCHEMA, operation, lambda c, a: ENFORCER.decide(principal, c, a))


def fields(result: Trace) -> list[tuple[str, str | None, str, str]]:
    return [(".".join(f.path), f.coordinate, f.verdict, f.rule) for f in result.fields]


def test_each_field_however_reached_has_its_coordinate_verdict_and_rule() -> None:
    result = trace(
        "query ($more: Boolean = false) {"
        "  me { boss: manager { ...Pay } ... on Employee { phone } }"
        '  search(text: "x") { __typename ... on Department { code } }'
        "  skipped: me @include(if: $more) { name }"
        "}"
        "fragment Pay on Employee { name salary { amount } }"
    )
    assert fields(result) == [
        ("me", "Query.me", "allowed", "employee, *, Query.me, read, allow"),
        ("me.boss", "Employee.manager", "allowed", "employee, *, Employee.manager, read, allow"),
        ("me.boss.name", "Employee.name", "allowed", "employee, *, Employee.name, read, allow"),
        ("me.boss.salary", "Employee.salary", "denied", "default: deny unlisted"),
        ("me.phone", "Employee.phone", "allowed", "employee, *, Employee.phone, read, allow"),
        ("search", "Query.search", "allowed", "employee, *, Query.search, read, allow"),
        ("search.__typename", None, "meta", "meta field"),
        ("search.code", "Department.code", "allowed", "employee, *, Department.*, read, allow"),
    ]
    assert result.denied_paths == {"me.boss.salary"}
    salary = result.fields[3]
    assert isinstance(salary, Traced) and salary.selects and salary.children == ()


def test_the_tree_is_printed_mirroring_the_operation() -> None:
    result = trace(
        "{ me { name salary { amount } } vendors: suppliers { ... on Supplier { bankAccount } } }",
        Principal("client:x", "X", ("employee", "integrator")),
    )
    assert render_trace(result).splitlines() == [
        "query",
        "  me                  Query.me              read  allowed  "
        "employee, *, Query.me, read, allow",
        "    name              Employee.name         read  allowed  "
        "employee, *, Employee.name, read, allow",
        "    salary { ... }    Employee.salary       read  DENIED   default: deny unlisted",
        "  vendors: suppliers  Query.suppliers       read  allowed  "
        "employee, *, Query.suppliers, read, allow",
        "    ... on Supplier",
        "      bankAccount     Supplier.bankAccount  read  DENIED   "
        "integrator, *, Supplier.bankAccount, read, deny",
        "3 allowed, 2 denied: Employee.salary, Supplier.bankAccount",
    ]


def test_mutation_root_fields_are_decided_with_write() -> None:
    result = trace('mutation { approve(id: "1") { id } postJournalEntry(memo: "m") { id } }')
    assert [(f.coordinate, f.action, f.verdict) for f in result.fields] == [
        ("Mutation.approve", "write", "allowed"),
        ("ApprovalRequest.id", "read", "allowed"),
        ("Mutation.postJournalEntry", "write", "denied"),
    ]
    assert result.fields[0].arguments == 'id: "1"'


def test_mutation_root_fields_reached_through_a_fragment_are_decided_with_write() -> None:
    """An auditor (``*, read, allow``) may not run a mutation by wrapping it in a fragment."""
    result = trace('mutation { ... on Mutation { postJournalEntry(memo: "m") { id } } }', AUDITOR)
    first = result.fields[0]
    assert (first.coordinate, first.action, first.verdict) == (
        "Mutation.postJournalEntry",
        "write",
        "denied",
    )


def test_what_explain_denies_the_gateway_never_fetches() -> None:
    query = "{ employees { name salary { amount } phone idCardNumber } }"
    operation = parse_operation(SCHEMA, query)
    result = trace_operation(
        SCHEMA,
        operation,
        lambda c, a: ENFORCER.decide(EMPLOYEE, c, a),
        lambda c, a: ENFORCER.conditional_grants(EMPLOYEE, c, a),
    )
    denied = set(result.coordinates("denied"))
    conditional = set(result.coordinates("conditional"))
    # employees read their own salary and ID card number: fetched, decided per object
    assert conditional == {"Employee.salary", "Employee.idCardNumber"}
    authorizer = Authorizer(SCHEMA, ENFORCER)
    plan = str(Gateway(SUPERGRAPH, authorizer=authorizer).plan(query, principal=EMPLOYEE))
    assert "phone" in plan and "salary" in plan and "_tandem_rel_self: id" in plan
    for coordinate in denied:  # whatever explain denies outright is never fetched
        assert f" {coordinate.split('.')[1]}" not in plan


def test_invalid_operations_are_refused() -> None:
    with pytest.raises(OperationError, match="Cannot query field 'salery'"):
        parse_operation(SCHEMA, "{ me { salery } }")
    with pytest.raises(OperationError, match="several operations"):
        parse_operation(SCHEMA, "query A { me { id } } query B { me { id } }")
    assert parse_operation(SCHEMA, "query A { me { id } } query B { me { id } }", "B").kind == (
        "query"
    )


def test_the_cli_prints_who_asks_and_the_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = tmp_path / "q.graphql"
    query.write_text(
        "query ($x: Boolean!) { me { name @include(if: $x) salary { amount } } }", encoding="utf-8"
    )
    code = main(
        [
            "explain", "--supergraph", str(FIXTURE), "--policy", str(POLICIES),
            "--as", "fin-001", "--roles", "employee,finance", "--department", "dept-02",
            "--variables", '{"x": false}', f"@{query}",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "as fin-001 (roles: employee, finance; department: dept-02)"
    assert out[1] == "query"
    assert [line.split()[:4] for line in out[2:5]] == [
        ["me", "Query.me", "read", "allowed"],
        ["salary", "Employee.salary", "read", "allowed"],
        ["amount", "Money.amount", "read", "allowed"],
    ]
    assert out[3].endswith("finance, *, Employee.salary, read, allow")
    assert out[-1] == "3 allowed, 0 denied"


def test_the_cli_explains_with_default_allow_and_exits_2_on_bad_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["explain", "--supergraph", str(FIXTURE), "--policy", str(POLICIES), "--as", "x"]
    assert main([*args, "--default", "allow", "{ me { name } }"]) == 0
    assert "default: allow unlisted" in capsys.readouterr().out
    assert main([*args, "{ me { nme } }"]) == 2
    assert "Cannot query field 'nme'" in capsys.readouterr().err
    assert main([*args, "--variables", "[1]", "{ me { name } }"]) == 2
    assert capsys.readouterr().err == "tandem policy: --variables must be a JSON object\n"


def test_the_cli_shows_own_record_fields_as_conditional(capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI asks for rules on related objects as the gateway does: not 'denied'."""
    args = ["explain", "--supergraph", str(FIXTURE), "--policy", str(POLICIES)]
    code = main([*args, "--as", "emp-001", "--roles", "employee", "{ me { salary { amount } } }"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split()[:4] for line in out[2:5]] == [
        ["me", "Query.me", "read", "allowed"],
        ["salary", "Employee.salary", "read", "conditional"],
        ["amount", "Money.amount", "read", "allowed"],
    ]
    assert out[3].endswith("employee@self, *, Employee.salary, read, allow")
    assert out[-1] == "2 allowed, 0 denied; 1 conditional: Employee.salary"
