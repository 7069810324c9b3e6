"""``tandem policy check``: the policy lint, each finding on its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from casbin.util.builtin_operators import glob_match  # type: ignore[import-untyped]

from gateway.authz.tools import (
    check_policy,
    glob_matches,
    parse_model,
    parse_policy,
    schema_coordinates,
)
from gateway.demo import DEMO_ROLES
from gateway.errors import TandemError
from gateway.policy_cli import main
from gateway.supergraph import load_supergraph

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "policies" / "model.conf"
FIXTURE = Path(__file__).parent / "fixtures" / "oa_erp.graphql"
DEMO = ROOT / "subgraphs" / "demo" / "supergraph.graphql"
COORDINATES = schema_coordinates(load_supergraph(FIXTURE).api_schema)
COLUMNS = parse_model(MODEL.read_text(encoding="utf-8"))


def lint(text: str, roles: tuple[str, ...] | None = None) -> list[tuple[int, str]]:
    problems = check_policy(parse_policy(text), COLUMNS, COORDINATES, roles=roles or DEMO_ROLES)
    return [(p.line, p.kind) for p in problems]


def messages(text: str) -> list[str]:
    return [
        p.message for p in check_policy(parse_policy(text), COLUMNS, COORDINATES, roles=DEMO_ROLES)
    ]


def test_the_model_columns_are_read_from_model_conf() -> None:
    assert COLUMNS == {"p": ("sub", "dom", "obj", "act", "eft"), "g": ("_", "_", "_")}


def test_policy_lines_are_split_as_casbin_splits_them() -> None:
    rows = parse_policy("# comment\n\np, hr, *, Employee.*, read, allow\n  g, alice, hr, *  \n")
    assert [(r.number, r.ptype, r.values) for r in rows] == [
        (3, "p", ("hr", "*", "Employee.*", "read", "allow")),
        (4, "g", ("alice", "hr", "*")),
    ]
    assert parse_policy("p, a, *, keyMatch(x, y), read, allow")[0].values[2] == "keyMatch(x, y)"


def test_a_row_casbin_cannot_read_is_refused_with_its_line() -> None:
    with pytest.raises(TandemError, match=r"line 2: a bracket is closed before it is opened"):
        parse_policy("p, hr, *, Employee.*, read, allow\np, hr, *, Employee.name), read, allow\n")


@pytest.mark.parametrize(
    "pattern",
    [
        "*", "*.*", "**", "Employee.*", "*.salary", "Employee.sal*", "Employee.?ame",
        "Employee.[ns]*", "Employee.[!n]*", "Employee.[^n]*", "*Connection.*", "Mutation.*Polic*",
        "Employee.{name,phone}", "Employee.{na{me,x},phone}", "Employee.{name}", "{A,B}.b",
        "***", "Employee.**", "Emp**.s*", "", "*/Employee.*", "Employee/**", "Query.{a,**}",
    ],
)  # fmt: skip
def test_objects_match_coordinates_as_casbin_glob_match_does(pattern: str) -> None:
    coordinates = [
        "Employee.salary", "Employee.name", "Employee.phone", "Query.employees", "A.b",
        "Mutation.approvePolicy", "PurchaseOrderConnection.edges", "Employee.{name}",
    ]  # fmt: skip
    for coordinate in coordinates:
        assert glob_matches(coordinate, pattern) == glob_match(coordinate, pattern), coordinate


def test_the_shipped_policy_matches_the_schema_as_casbin_glob_match_does() -> None:
    """The gateway compiles each pattern once (enforcer._matcher); casbin's answers stand."""
    schema = load_supergraph(ROOT / "subgraphs" / "supergraph.graphql").api_schema
    policy = parse_policy((ROOT / "policies" / "policy.csv").read_text(encoding="utf-8"))
    patterns = {row.values[2] for row in policy if row.ptype.startswith("p")}
    assert len(patterns) > 50
    for pattern in patterns:
        for coordinate in schema_coordinates(schema):
            expected = glob_match(coordinate, pattern)
            assert glob_matches(coordinate, pattern) == expected, (coordinate, pattern)


def test_a_clean_policy_has_no_problems() -> None:
    assert (
        lint(
            "p, employee, *, Query.*, read, allow\n"
            "p, employee, *, Employee.name, read, allow\n"
            "p, finance, dept-02, Employee.salary, read, allow\n"
            "p, integrator, *, Supplier.bankAccount, read, deny\n"
            "p, employee, *, Mutation.approve, write, allow\n"
            "g, alice, auditor, *\n"
        )
        == []
    )


def test_coordinates_and_globs_that_match_nothing_are_reported() -> None:
    text = (
        "p, employee, *, Employee.salery, read, allow\n"
        "p, employee, *, Emplyee.*, read, allow\n"
        "p, employee, *, *.bankAcount, read, allow\n"
        "p, employee, *, *Connection.*, read, allow\n"
        "p, employee, *, Employee.sal*, read, allow\n"
    )
    assert lint(text) == [
        (1, "unknown-coordinate"),
        (2, "unknown-coordinate"),
        (3, "unknown-coordinate"),
        (4, "unknown-coordinate"),
    ]
    assert messages(text)[0] == (
        "'Employee.salery' matches no coordinate of the supergraph's API schema"
    )


def test_unknown_roles_are_reported_unless_configured_or_given_by_a_g_row() -> None:
    text = (
        "p, emploee, *, Employee.name, read, allow\n"  # a typo
        "p, contractor, *, Employee.name, read, allow\n"  # a role given below
        "p, alice, *, Employee.phone, read, allow\n"  # a user named by a g row
        "p, anonymous, *, Query.me, read, allow\n"  # what the gateway asks as without a principal
        "g, bob, contractor, *\n"
        "g, alice, employee, *\n"
        "g, carol, auditr, *\n"  # a typo: given, but no rule names it and not configured
    )
    assert lint(text) == [(1, "unknown-role"), (7, "unknown-role")]
    assert messages(text)[0].startswith("unknown role 'emploee': not a configured role (employee,")
    assert lint("p, auditr, *, Employee.name, read, allow", roles=("auditr",)) == []


def test_unknown_actions_effects_and_row_shapes_are_reported() -> None:
    text = (
        "p, employee, *, Employee.name, reed, allow\n"
        "p, employee, *, Employee.email, read, permit\n"
        "p, employee, *, Employee.name, read\n"
        "p, employee, *, Employee.{name,email}, read, allow\n"
        "p2, employee, *, Employee.name, read, allow\n"
        "p, employee, *, Employee.title, *, allow\n"
    )
    assert lint(text) == [
        (1, "unknown-action"),
        (2, "unknown-effect"),
        (3, "malformed"),
        (4, "malformed"),
        (5, "malformed"),
    ]
    assert "a comma inside a value splits it" in messages(text)[3]
    assert messages(text)[4] == "casbin ignores this row: no 'p2'"


def test_actions_never_asked_for_what_they_match_are_reported() -> None:
    assert lint(
        "p, employee, *, Employee.*, write, allow\n"  # write is asked for mutation fields only
        "p, employee, *, Mutation.approve, read, allow\n"  # and mutation fields only with write
        "p, hr, *, *, write, allow\n"  # matches mutation fields too: fine
    ) == [(1, "unused-action"), (2, "unused-action")]


def test_an_allow_under_a_broader_deny_for_the_same_subject_is_shadowed() -> None:
    text = (
        "p, integrator, *, Supplier.*, read, deny\n"
        "p, integrator, *, Supplier.bankAccount, read, allow\n"
        "p, integrator, dept-01, Supplier.name, read, allow\n"  # deny in every domain covers it
        "p, integrator, *, Supplier.name, write, allow\n"  # another action: not covered
        "p, sales, *, Supplier.name, read, allow\n"  # another subject: not covered
        "p, hr, dept-01, Employee.*, *, deny\n"
        "p, hr, *, Employee.salary, read, allow\n"  # allowed in other departments: not covered
        "p, hr, dept-01, Employee.salary, read, allow\n"
    )
    assert lint(text) == [
        (2, "shadowed"),
        (3, "shadowed"),
        (4, "unused-action"),
        (8, "shadowed"),
    ]
    assert messages(text)[0] == (
        "this allow never takes effect: line 1 (p, integrator, *, Supplier.*, read, deny) "
        "denies all of it"
    )


def test_duplicated_and_covered_rules_are_reported_once_on_the_redundant_line() -> None:
    text = (
        "p, hr, *, Employee.name, read, allow\n"
        "p, hr, *, Employee.*, read, allow\n"
        "p, hr, *, Employee.*, read, allow\n"
        "p, finance, *, Employee.sal*, read, allow\n"
        "p, finance, *, Employee.salary, read, allow\n"  # the same coordinates: the later one
        "p, integrator, *, Supplier.bankAccount, read, deny\n"
        "p, integrator, *, Supplier.bank*, read, deny\n"
    )
    problems = check_policy(parse_policy(text), COLUMNS, COORDINATES, roles=DEMO_ROLES)
    assert [(p.line, p.kind, p.message) for p in problems] == [
        (1, "covered", "covered by line 2 (p, hr, *, Employee.*, read, allow)"),
        (3, "duplicate", "duplicate of line 2"),
        (5, "covered", "covered by line 4 (p, finance, *, Employee.sal*, read, allow)"),
        (7, "covered", "covered by line 6 (p, integrator, *, Supplier.bankAccount, read, deny)"),
    ]
    assert lint("g, alice, hr, *\ng, alice, hr, *\n") == [(2, "duplicate")]


def test_rules_inherited_through_global_g_rows_shadow_and_cover() -> None:
    assert lint(
        "g, manager, employee, *\n"
        "p, employee, *, Employee.*, read, allow\n"
        "p, manager, *, Employee.name, read, allow\n"  # managers are employees: covered
        "p, employee, *, Employee.salary, read, deny\n"
        "p, manager, *, Employee.salary, read, allow\n"  # and get the employees' deny
        "g, dana, finance, dept-02\n"  # a grant in one domain only: no inheritance
        "p, finance, *, Employee.phone, read, deny\n"
        "p, dana, *, Employee.phone, read, allow\n"
    ) == [(3, "covered"), (5, "shadowed")]


def test_the_default_policy_only_names_coordinates_not_composed_yet() -> None:
    """Against the OA/ERP fixture, every finding is a coordinate of a type it does not have."""
    text = (ROOT / "policies" / "policy.csv").read_text(encoding="utf-8")
    problems = check_policy(parse_policy(text), COLUMNS, COORDINATES, roles=DEMO_ROLES)
    assert {p.kind for p in problems} == {"unknown-coordinate"}
    lines = {p.line for p in problems}
    unknown = {line.values[2] for line in parse_policy(text) if line.number in lines}
    assert "Employee.salary" not in unknown and "Supplier.bankAccount" not in unknown
    assert {"Message.*", "Mutation.sendMessage", "Policy*.*", "Item.*"} <= unknown


def test_the_cli_reports_each_problem_on_its_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "model.conf").write_text(MODEL.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(MODEL.parent / "roles.csv", tmp_path / "roles.csv")  # the configured roles
    policy = tmp_path / "policy.csv"
    policy.write_text(
        "p, employee, *, Query.*, read, allow\np, employe, *, Employee.nme, read, allow\n",
        encoding="utf-8",
    )
    args = ["check", "--supergraph", str(FIXTURE), "--policy", str(tmp_path), "--no-admin-api"]
    code = main(args)
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out == [
        f"{policy}:2: unknown-coordinate: 'Employee.nme' matches no coordinate of the "
        "supergraph's API schema",
        f"{policy}:2: unknown-role: unknown role 'employe': not a configured role (employee, "
        "manager, finance, hr, procurement, sales, production, auditor, security_admin, "
        "integrator) nor given by a g row",
        f"{policy}: 2 problems (2 rules, {len(COORDINATES)} coordinates)",
    ]
    policy.write_text("p, employee, *, Query.*, read, allow\n", encoding="utf-8")
    assert main(args) == 0
    assert capsys.readouterr().out.endswith(
        f"no problems (1 rules, {len(COORDINATES)} coordinates)\n"
    )


def test_the_cli_takes_roles_and_extra_sdl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "model.conf").write_text(MODEL.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(MODEL.parent / "roles.csv", tmp_path / "roles.csv")  # the configured roles
    (tmp_path / "policy.csv").write_text(
        "p, security_officer, *, AuditExport.*, read, allow\n"
        "p, security_officer, *, Mutation.exportAudit, write, allow\n",
        encoding="utf-8",
    )
    extra = tmp_path / "export.graphql"
    extra.write_text(
        "type Query { exports: [AuditExport!]! }\n"
        "type Mutation { exportAudit(since: String!): AuditExport }\n"
        "type AuditExport { url: String! }\n",
        encoding="utf-8",
    )
    args = ["check", "--supergraph", str(DEMO), "--policy", str(tmp_path)]
    assert main(args) == 1
    assert main([*args, "--roles", "security_officer", "--extra-sdl", str(extra)]) == 0
    capsys.readouterr()


def test_the_admin_api_coordinates_count_unless_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "model.conf").write_text(MODEL.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(MODEL.parent / "roles.csv", tmp_path / "roles.csv")  # the configured roles
    (tmp_path / "policy.csv").write_text(
        "p, security_admin, *, Policy*.*, read, allow\n"
        "p, security_admin, *, Mutation.*Polic*, write, allow\n",
        encoding="utf-8",
    )
    args = ["check", "--supergraph", str(DEMO), "--policy", str(tmp_path)]
    assert main(args) == 0
    assert main([*args, "--no-admin-api"]) == 1
    assert capsys.readouterr().out.count("unknown-coordinate") == 2


def test_the_cli_exits_2_when_an_input_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--supergraph", str(FIXTURE), "--policy", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"tandem policy: {tmp_path}/model.conf: no such file\n"
    assert main(["check", "--supergraph", str(tmp_path / "none.graphql")]) == 2
    capsys.readouterr()
