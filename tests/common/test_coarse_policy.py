"""The subgraphs' coarse policy check (defence in depth) on the real OA and ERP schemas and the
default policy files: the walls it puts up, and that it never stands in the gateway's way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import GraphQLError

from gateway.authz.authorizer import Authorizer
from gateway.authz.enforcer import PolicyEnforcer
from gateway.errors import OperationError, RequestError
from gateway.pipeline import Gateway
from gateway.planner.plan import FetchNode, FlattenNode, ParallelNode, PlanNode, SequenceNode
from gateway.supergraph import load_supergraph
from subgraphs.common.app import operation_guard
from subgraphs.common.coarse_policy import CoarsePolicy, OperationGuard, PolicyFileError
from subgraphs.common.settings import INSTALLED_POLICY, SubgraphSettings
from subgraphs.erp.schema import schema as erp_schema
from subgraphs.oa.schema import schema as oa_schema
from tandem_shared.tokens import Principal
from tests.e2e import persona_queries
from tests.e2e.personas import PEOPLE

REPO = Path(__file__).resolve().parents[2]
EMPLOYEE = ("employee",)
TRIAL_BALANCE = '{ trialBalance(period: "2026-11") { totalDebit { amount } } }'
CREDIT_LIMITS = "{ customers { edges { node { name creditLimit { amount } } } } }"
SET_BUDGET = (
    'mutation { setBudget(departmentId: "dept-01", period: "2026-11", '
    'amount: {amount: "1.00", currency: "CNY"}) { __typename } }'
)


def guard(schema: object, policy: Path = INSTALLED_POLICY) -> OperationGuard:
    settings = SubgraphSettings(name="erp", policy_dir=policy)
    made = operation_guard(schema, settings)  # type: ignore[arg-type]
    assert made is not None
    return made


ERP = guard(erp_schema)
OA = guard(oa_schema)


def refused(
    g: OperationGuard, roles: tuple[str, ...], query: str, subject: str = "emp-031"
) -> list[str]:
    return g.refused(subject, roles, query)


@pytest.mark.parametrize(
    ("query", "coordinate"),
    [
        (TRIAL_BALANCE, "TrialBalance.totalDebit (read)"),
        (CREDIT_LIMITS, "Customer.creditLimit (read)"),
        (SET_BUDGET, "Mutation.setBudget (write)"),
        ("{ suppliers { edges { node { contact } } } }", "Supplier.contact (read)"),
        ('{ _entities(representations: [{__typename: "Supplier", id: "s"}]) '
         "{ ... on Supplier { bankAccount } } }", "Supplier.bankAccount (read)"),
    ],
)  # fmt: skip
def test_an_employee_token_hits_the_wall_on_other_roles_work(query: str, coordinate: str) -> None:
    assert coordinate in refused(ERP, EMPLOYEE, query)
    assert refused(ERP, ("employee", "finance"), query) == []
    auditor = [] if "Mutation" not in coordinate else [coordinate]  # auditors read, never write
    assert refused(ERP, ("auditor",), query) == auditor


def test_only_the_refused_coordinates_are_named() -> None:
    query = "{ customers { edges { node { name creditLimit { amount } } } } }"

    assert refused(ERP, ("employee", "sales"), query) == []
    assert refused(ERP, EMPLOYEE, query) == ["Customer.creditLimit (read)", "Customer.name (read)"]


def test_relation_rules_and_keys_let_the_gateway_fetch_what_it_decides_per_object() -> None:
    own_salary = (
        '{ _entities(representations: [{__typename: "Employee", id: "emp-031"}]) '
        "{ ... on Employee { __typename id salary { amount currency } } } }"
    )
    budgets = "{ budgets(period: \"2026-11\") { edges { node { amount { amount } } } } }"

    assert refused(ERP, EMPLOYEE, own_salary) == []  # employee@self: decided at the gateway
    assert refused(ERP, ("employee", "manager"), budgets) == []  # manager@department
    assert refused(ERP, EMPLOYEE, budgets) == ["Budget.amount (read)"]


def test_an_unconditional_deny_row_wins_over_the_roles_other_grants() -> None:
    bank = (
        '{ _entities(representations: [{__typename: "Supplier", id: "s"}]) '
        "{ ... on Supplier { bankAccount } } }"
    )

    assert refused(ERP, ("finance",), bank) == []
    assert refused(ERP, ("finance", "integrator"), bank) == []  # finance's own grant stands
    assert refused(ERP, ("integrator",), bank) == ["Supplier.bankAccount (read)"]


def test_a_subject_granted_by_name_and_g_rows_count(tmp_path: Path) -> None:
    (tmp_path / "model.conf").write_text((INSTALLED_POLICY / "model.conf").read_text())
    (tmp_path / "policy.csv").write_text(
        "p, client-42, *, Query.items, read, allow\n"
        "p, client-42, *, ItemConnection.*, read, allow\n"
        "p, buyers, *, Mutation.setBudget, write, allow\n"
        "g, emp-7, buyers, dept-01\n"
    )
    custom = guard(erp_schema, tmp_path)

    assert refused(custom, (), "{ items { __typename } }", subject="client-42") == []
    assert refused(custom, (), "{ items { __typename } }", subject="client-43") == [
        "Query.items (read)"
    ]
    assert refused(custom, (), SET_BUDGET, subject="emp-7") == []
    assert refused(custom, (), SET_BUDGET, subject="emp-8") == ["Mutation.setBudget (write)"]


def test_a_model_it_does_not_understand_is_refused_at_start_up(tmp_path: Path) -> None:
    model = (INSTALLED_POLICY / "model.conf").read_text().replace("globMatch", "keyMatch")
    (tmp_path / "model.conf").write_text(model)
    (tmp_path / "policy.csv").write_text("p, employee, *, Query.me, read, allow\n")

    with pytest.raises(PolicyFileError, match="not the default model"):
        CoarsePolicy.from_directory(tmp_path)


@pytest.mark.parametrize(
    ("row", "problem"),
    [("p, employee, *, Query.me, read, maybe", "effect"), ("x, y, z", "expected a p or g row")],
)
def test_a_policy_row_it_cannot_read_is_refused_with_its_line(
    tmp_path: Path, row: str, problem: str
) -> None:
    (tmp_path / "model.conf").write_text((INSTALLED_POLICY / "model.conf").read_text())
    (tmp_path / "policy.csv").write_text(f"# a comment\n\n{row}\n")

    with pytest.raises(PolicyFileError, match=rf"policy.csv:3: {problem}"):
        CoarsePolicy.from_directory(tmp_path)


def test_a_query_that_does_not_parse_is_left_to_the_graphql_layer() -> None:
    assert refused(ERP, EMPLOYEE, "{ trialBalance(") == []
    with pytest.raises(GraphQLError):
        ERP.coordinates("{ trialBalance(")


# -- never in the gateway's way ---------------------------------------------------------------


def _fetches(node: PlanNode | None) -> Iterator[FetchNode]:
    match node:
        case SequenceNode(nodes=nodes) | ParallelNode(nodes=nodes):
            for child in nodes:
                yield from _fetches(child)
        case FlattenNode(node=fetch):
            yield fetch
        case FetchNode():
            yield node


def test_every_fetch_the_gateway_plans_for_the_personas_passes_the_check() -> None:
    """Each persona document, planned by the gateway under the default policy for each demo
    person: every subgraph operation it would send passes OA's or ERP's check."""
    supergraph = load_supergraph(REPO / "subgraphs" / "supergraph.graphql")
    enforcer = PolicyEnforcer(INSTALLED_POLICY / "model.conf", INSTALLED_POLICY / "policy.csv")
    gateway = Gateway(supergraph, authorizer=Authorizer(supergraph.api_schema, enforcer))
    guards = {"oa": OA, "erp": ERP}
    documents = {
        name: value
        for name, value in vars(persona_queries).items()
        if name.isupper() and isinstance(value, str) and "%s" not in value
    }
    planned = 0
    for person in PEOPLE.values():
        principal = Principal(person.id, person.id, person.roles, person.department)
        for name, document in documents.items():
            try:
                plan = gateway.plan(document, principal=principal)
            except (OperationError, RequestError):  # refused at the gateway: nothing is sent
                continue
            for fetch in _fetches(plan.node):
                refusal = guards[fetch.service_name].refused(
                    principal.subject, principal.roles, fetch.operation
                )
                assert refusal == [], (name, person.roles, fetch.operation)
                planned += 1
    assert planned > 50  # 96 on the day this was written
