"""The authorize phase gives one immutable decision value per operation, caller and policy
version (``gateway/authz/decision.py``), and every later phase reads that value: the plan its
filtered selections, the protect phase its guards.

A plan-only gateway over the shipped supergraph with a policy of the test's own: the role
``clerk`` reads customers but not ``Customer.creditLimit``, their phone (encrypted) masked, and
``Employee.name`` only on their own record (``clerk@self``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from graphql import parse

from gateway.authz.authorizer import Authorizer
from gateway.authz.decision import (
    Conditional,
    DecidedField,
    Denial,
    FieldGuard,
    OperationDecision,
)
from gateway.authz.encrypted import MASKED, FieldDecision
from gateway.authz.enforcer import PolicyEnforcer
from gateway.crypto.runtime import FieldCrypto
from gateway.operation import (
    FieldSelection,
    NormalizedOperation,
    Selection,
    collect_fields,
    normalize_operation,
)
from gateway.pipeline import Gateway
from gateway.planner import print_plan
from gateway.supergraph import Supergraph, load_supergraph
from tandem_shared.tokens import Principal
from tests.support.processes import REPO_ROOT

SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
MODEL = REPO_ROOT / "policies" / "model.conf"  # beside it: the default relations.csv

POLICY = """\
p, clerk, *, Query.*, read, allow
p, clerk, *, Customer.*, read, allow
p, clerk, *, Customer.creditLimit, read, deny
p, clerk, *, Customer.phone, read_masked, allow
p, clerk, *, Employee.id, read, allow
p, clerk@self, *, Employee.name, read, allow
"""

CLERK = Principal("emp-040", "Clerk", ("clerk",), "dept-07")
QUERY = '{ customer(id: "cus-03") { name creditLimit { amount } phone } me { id name } }'


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return load_supergraph(SUPERGRAPH)


def _gateway(supergraph: Supergraph, tmp_path: Path) -> tuple[Gateway, PolicyEnforcer]:
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY, encoding="utf-8")
    enforcer = PolicyEnforcer(MODEL, policy)
    gateway = Gateway(
        supergraph,
        authorizer=Authorizer(supergraph.api_schema, enforcer),
        crypto=FieldCrypto(supergraph, None, None, enforcer),
    )
    return gateway, enforcer


def _operation(query: str) -> NormalizedOperation:
    definition = parse(query).definitions[0]
    return NormalizedOperation(
        kind="query",
        selections=normalize_operation(definition, {}, {}),  # type: ignore[arg-type]
        root_type="Query",
        variable_types={},
        introspection=None,
    )


def _field(selections: tuple[Selection, ...], *path: str) -> FieldSelection:
    found: FieldSelection | None = None
    for key in path:
        found = next(s for s in selections if isinstance(s, FieldSelection) and s.key == key)
        selections = found.selections or ()
    assert found is not None
    return found


def _keys(selections: tuple[Selection, ...]) -> list[str]:
    return [s.key for s in selections if isinstance(s, FieldSelection)]


def test_one_value_says_what_is_denied_conditional_and_encrypted(
    supergraph: Supergraph,
    tmp_path: Path,
) -> None:
    gateway, _ = _gateway(supergraph, tmp_path)
    decision = gateway.authorize(_operation(QUERY), CLERK)

    credit = _field(decision.client, "customer", "creditLimit")
    assert isinstance(credit, DecidedField)
    assert credit.decided == Denial(
        "Customer.creditLimit", "read", "clerk, *, Customer.creditLimit, read, deny"
    )
    name = _field(decision.client, "me", "name")
    assert isinstance(name, DecidedField) and isinstance(name.decided, Conditional)
    assert [relation.name for relation, _, _ in name.decided.grants] == ["self"]

    phone = decision.encrypted["Customer.phone"]
    assert isinstance(phone, FieldDecision) and phone.others.kind == MASKED

    # the planner sees the filtered selections: no creditLimit; the entity key the phone's
    # envelope is bound to, and the attribute the relation reads, are fetched
    assert _keys(_field(decision.selections, "customer").selections or ()) == [
        "name",
        "phone",
        "_tandem_entity_key",
    ]
    assert "_tandem_rel_self" in _keys(_field(decision.selections, "me").selections or ())
    plan = print_plan(gateway.plan(QUERY, principal=CLERK))
    assert "creditLimit" not in plan and "_tandem_rel_self: id" in plan


def test_the_protect_phase_reads_its_guards_from_the_same_value(
    supergraph: Supergraph,
    tmp_path: Path,
) -> None:
    gateway, _ = _gateway(supergraph, tmp_path)
    decision = gateway.authorize(_operation(QUERY), CLERK)
    schema = supergraph.api_schema

    def guard(path: tuple[str, ...], type_name: str, key: str) -> FieldGuard | None:
        parent = _field(decision.client, *path)
        fields = collect_fields(schema, parent.selections or (), type_name)[key]
        return decision.guard(type_name, fields[0].name, fields)

    assert guard(("customer",), "Customer", "name") is None  # allowed: nothing to protect
    credit = guard(("customer",), "Customer", "creditLimit")
    assert credit is not None and credit.denial is not None
    assert credit.denial.coordinate == "Customer.creditLimit"
    phone = guard(("customer",), "Customer", "phone")
    assert phone is not None and phone.encrypted is decision.encrypted["Customer.phone"]
    name = guard(("me",), "Employee", "name")
    assert name is not None and name.conditional is not None
    assert name.denial is None and name.encrypted is None
    assert decision.guarded


def test_decided_once_per_operation_caller_and_policy_version(
    supergraph: Supergraph,
    tmp_path: Path,
) -> None:
    gateway, enforcer = _gateway(supergraph, tmp_path)
    operation = _operation(QUERY)
    first = gateway.authorize(operation, CLERK)
    assert gateway.authorize(operation, CLERK) is first
    other = Principal("emp-041", "Other", ("clerk",), "dept-07")
    assert gateway.authorize(operation, other) is not first
    enforcer.reload()  # a new policy version: decided again
    assert gateway.authorize(operation, CLERK) is not first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.selections = ()  # type: ignore[misc]
    assert isinstance(first, OperationDecision)


def test_without_a_policy_nothing_is_guarded(supergraph: Supergraph) -> None:
    gateway = Gateway(supergraph)
    decision = gateway.authorize(_operation('{ customer(id: "cus-03") { name } }'), None)
    assert not decision.denials and not decision.conditionals
    # no keys and no policy: the encrypted field is denied in every form, never fetched
    closed = gateway.authorize(_operation('{ customer(id: "cus-03") { phone } }'), None)
    assert isinstance(closed.encrypted["Customer.phone"], Denial)
    assert _keys(_field(closed.selections, "customer").selections or ()) == []
