"""Arguments are authorized (issue 10, item 5): searching by a field needs the right to read it.

Through the gateway's phases up to the plan, with the default policy (plus a rule or two of the
test's own), ``policies/searches.csv`` and the composed supergraph; the authorizer rejects, so
a refusal lists the coordinates it denied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.authz.arguments import SearchedFields, arguments_used, decide_argument
from gateway.authz.authorizer import Authorizer
from gateway.authz.enforcer import Decision, PolicyEnforcer
from gateway.authz.validation import InvalidRule, PolicyRule, RuleValidator
from gateway.authz.visibility import SchemaVisibility
from gateway.errors import OperationError
from gateway.pipeline import Gateway
from gateway.supergraph import Supergraph, load_supergraph
from tandem_shared.tokens import Principal
from tests.support.processes import REPO_ROOT

POLICIES = REPO_ROOT / "policies"
EMPLOYEE = Principal("emp-001", "emp-001", ("employee",), "dept-01")
SALES = Principal("emp-002", "emp-002", ("employee", "sales"), "dept-01")
INTEGRATOR = Principal("int-1", "int-1", ("integrator",), None)
SEARCH = '{ customers(search: "Shanghai") { edges { cursor } } }'


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return load_supergraph(REPO_ROOT / "subgraphs" / "supergraph.graphql")


@pytest.fixture(scope="module")
def searched(supergraph: Supergraph) -> SearchedFields:
    table = SearchedFields.read(POLICIES / "searches.csv")
    table.check(supergraph.api_schema)  # the shipped table names what the schema has
    return table


def gateway(supergraph: Supergraph, searched: SearchedFields, policy: Path) -> Gateway:
    enforcer = PolicyEnforcer(POLICIES / "model.conf", policy)
    authorizer = Authorizer(supergraph.api_schema, enforcer, reject=True, searched=searched)
    return Gateway(supergraph, authorizer=authorizer)


@pytest.fixture(scope="module")
def default(supergraph: Supergraph, searched: SearchedFields) -> Gateway:
    return gateway(supergraph, searched, POLICIES / "policy.csv")


def denied(gw: Gateway, query: str, principal: Principal, **variables: object) -> list[str]:
    """The coordinates the plan of ``query`` was refused for ([] if it was planned)."""
    try:
        gw.plan(query, variables=variables, principal=principal)
    except OperationError as error:
        assert error.code == "FORBIDDEN", error
        coordinates: list[str] = (error.extensions or {})["coordinates"]
        return coordinates
    return []


def with_rules(tmp_path: Path, *rules: str) -> Path:
    policy = tmp_path / "policy.csv"
    shipped = (POLICIES / "policy.csv").read_text(encoding="utf-8")
    policy.write_text(shipped + "".join(f"{rule}\n" for rule in rules), encoding="utf-8")
    return policy


def test_searching_by_a_field_the_caller_may_not_read_is_refused(default: Gateway) -> None:
    assert denied(default, SEARCH, EMPLOYEE) == ["Query.customers(search:)"]
    assert denied(default, "{ customers { edges { cursor } } }", EMPLOYEE) == []
    query = "query ($s: String) { customers(search: $s) { edges { cursor } } }"
    assert denied(default, query, EMPLOYEE, s="Shanghai") == ["Query.customers(search:)"]


def test_a_caller_who_reads_every_searched_field_may_search(default: Gateway) -> None:
    assert denied(default, '{ customers(search: "x") { edges { node { name } } } }', SALES) == []


def test_a_rule_naming_the_argument_decides_over_the_default(
    supergraph: Supergraph, searched: SearchedFields, tmp_path: Path
) -> None:
    policy = with_rules(
        tmp_path,
        "p, employee, *, Query.customers(search:), read, allow",
        "p, sales, *, Query.customers(search:), read, deny",
    )
    gw = gateway(supergraph, searched, policy)
    assert denied(gw, SEARCH, EMPLOYEE) == []  # searching granted though no name is readable
    assert denied(gw, SEARCH, SALES) == ["Query.customers(search:)"]  # deny overrides


def test_input_fields_count_as_given_in_a_literal_and_all_of_them_in_a_variable(
    supergraph: Supergraph, searched: SearchedFields, tmp_path: Path
) -> None:
    """An integrator granted the employee list and departments, not employees' names."""
    policy = with_rules(
        tmp_path,
        "p, integrator, *, Query.employees, read, allow",
        "p, integrator, *, Employee.id, read, allow",
        "p, integrator, *, Employee.department, read, allow",
        "p, integrator, *, Employee.manager, read, allow",
        "p, integrator, *, Department.id, read, allow",
        "p, integrator, *, EmployeeConnection.*, read, allow",
        "p, integrator, *, EmployeeEdge.*, read, allow",
    )
    gw = gateway(supergraph, searched, policy)
    select = " { edges { node { id } } } }"
    by_department = '{ employees(filter: {departmentId: "dept-01"})' + select
    assert denied(gw, by_department, INTEGRATOR) == []
    by_name = '{ employees(filter: {search: "Wang"})' + select
    assert denied(gw, by_name, INTEGRATOR) == ["EmployeeFilter.search"]
    variable = "query ($f: EmployeeFilter) { employees(filter: $f)" + select
    assert denied(gw, variable, INTEGRATOR, f={"departmentId": "dept-01"}) == [
        "EmployeeFilter.search"
    ]  # a variable may carry any field: fail closed


def test_arguments_used_names_arguments_and_input_fields(supergraph: Supergraph) -> None:
    from graphql import FieldNode, OperationDefinitionNode, parse

    operation = parse(
        '{ employees(filter: {search: "x", departmentId: "d"}, first: 2) { __typename } }'
    )
    definition = operation.definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    field = definition.selection_set.selections[0]
    assert isinstance(field, FieldNode)
    used = list(arguments_used(supergraph.api_schema, "Query", "employees", field.arguments))
    assert used == [
        "Query.employees(filter:)",
        "EmployeeFilter.search",
        "EmployeeFilter.departmentId",
        "Query.employees(first:)",
    ]


def test_an_argument_nobody_declared_is_decided_by_its_field_alone() -> None:
    def decide(coordinate: str, action: str) -> Decision:
        return Decision(False, "default: deny unlisted")

    assert decide_argument(decide, SearchedFields(), "Query.employees(first:)").allowed
    table = SearchedFields({"Query.customers(search:)": ("Customer.name",)})
    refusal = decide_argument(decide, table, "Query.customers(search:)")
    assert not refusal.allowed and "Customer.name" in refusal.rule


def test_filtered_visibility_leaves_out_the_arguments_a_caller_may_not_use(
    supergraph: Supergraph, searched: SearchedFields, tmp_path: Path
) -> None:
    """A small policy of the test's own: a visible schema asks about every field."""
    policy = tmp_path / "policy.csv"
    policy.write_text(
        "p, employee, *, Query.customers, read, allow\n"
        "p, employee, *, CustomerConnection.*, read, allow\n"
        "p, employee, *, CustomerEdge.*, read, allow\n"
        "p, employee, *, PageInfo.*, read, allow\n"
        "p, sales, *, Customer.*, read, allow\n",
        encoding="utf-8",
    )
    enforcer = PolicyEnforcer(POLICIES / "model.conf", policy)
    visibility = SchemaVisibility(supergraph.api_schema, enforcer, searched=searched)
    employee = visibility.schema_for(EMPLOYEE).query_type
    sales = visibility.schema_for(SALES).query_type
    assert employee is not None and sales is not None
    assert "search" not in employee.fields["customers"].args
    assert "first" in employee.fields["customers"].args
    assert "search" in sales.fields["customers"].args


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Query.customers(search:)\n", "names no searched field"),
        (
            "Query.customers(search:), Customer.name\nQuery.customers(search:), Customer.id\n",
            "twice",
        ),
    ],
)
def test_a_malformed_table_is_refused_naming_the_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "searches.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        SearchedFields.read(path)


@pytest.mark.parametrize(
    ("argument", "searches"),
    [
        ("Query.customers(serach:)", "Customer.name"),
        ("Query.customer(search:)", "Customer.name"),
        ("Query.customers(search:)", "Customer.nmae"),
        ("Query.customers(search:)", "EmployeeFilter.search"),
    ],
)
def test_a_table_naming_what_the_schema_lacks_is_refused(
    supergraph: Supergraph, argument: str, searches: str
) -> None:
    with pytest.raises(ValueError, match=r"searches\.csv"):
        SearchedFields({argument: (searches,)}).check(supergraph.api_schema)


def test_no_table_is_an_empty_one(tmp_path: Path) -> None:
    assert not SearchedFields.read(tmp_path / "searches.csv")


def test_policy_rules_may_name_an_argument_but_not_glob_one() -> None:
    validator = RuleValidator()
    rule = PolicyRule("employee", "*", "Query.customers(search:)", "read", "allow")
    assert validator.check(rule) is rule
    for bad in ("Query.*(search:)", "Query.customers(search)", "Query.customers(a:)(b:)"):
        with pytest.raises(InvalidRule):
            validator.check(PolicyRule("employee", "*", bad, "read", "allow"))
