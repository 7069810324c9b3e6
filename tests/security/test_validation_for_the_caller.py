"""Validation for the caller (issue 10, item 6), in process: the gateway's own phases, the
default policy and the composed supergraph, no subgraph needed (validation comes first).

The production-mode journeys are in ``test_no_oracle.py``; these pin what they rest on: the
schema a document is validated against, the cache per visible schema, suggestions switched
off, and production's default.
"""

from __future__ import annotations

import pytest
from graphql import parse

from gateway.authz.arguments import SearchedFields
from gateway.authz.enforcer import PolicyEnforcer
from gateway.authz.visibility import SchemaVisibility
from gateway.caller_validation import suggestions_wanted
from gateway.errors import OperationError
from gateway.pipeline import Gateway
from gateway.settings import Settings
from gateway.supergraph import Supergraph, load_supergraph
from tandem_shared.tokens import Principal
from tests.support.processes import REPO_ROOT

POLICIES = REPO_ROOT / "policies"
EMPLOYEE = Principal("emp-001", "emp-001", ("employee",), "dept-01")
FINANCE = Principal("emp-002", "emp-002", ("employee", "finance"), "dept-01")
CLERK = Principal("emp-003", "emp-003", ("employee",), "dept-01")  # EMPLOYEE's schema


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return load_supergraph(REPO_ROOT / "subgraphs" / "supergraph.graphql")


@pytest.fixture(scope="module")
def visibility(supergraph: Supergraph) -> SchemaVisibility:
    """Shared: each role's visible schema is decided once for the module (seconds each)."""
    enforcer = PolicyEnforcer(POLICIES / "model.conf", POLICIES / "policy.csv")
    searched = SearchedFields.read(POLICIES / "searches.csv")
    return SchemaVisibility(supergraph.api_schema, enforcer, searched=searched)


@pytest.fixture
def on(supergraph: Supergraph, visibility: SchemaVisibility) -> Gateway:
    return Gateway(supergraph, visibility=visibility, suggestions=True)


@pytest.fixture
def off(supergraph: Supergraph, visibility: SchemaVisibility) -> Gateway:
    return Gateway(supergraph, visibility=visibility, suggestions=False)


def refused(gateway: Gateway, query: str, principal: Principal | None) -> OperationError:
    with pytest.raises(OperationError) as caught:
        gateway.document(query, principal)
    assert caught.value.code == "GRAPHQL_VALIDATION_FAILED"
    return caught.value


TRIAL_BALANCE = '{ trialBalance(period: "2026-11", currency: "CNY") { __typename } }'


def test_a_document_is_valid_for_one_caller_and_not_for_another(on: Gateway) -> None:
    """The parsed document is shared; each caller's validation is their own, cache or not."""
    gw = on
    assert gw.document(TRIAL_BALANCE, FINANCE).document is not None
    error = refused(gw, TRIAL_BALANCE, EMPLOYEE)
    assert error.message == "Cannot query field 'trialBalance' on type 'Query'."
    assert gw.document(TRIAL_BALANCE, FINANCE) is gw.document(TRIAL_BALANCE, FINANCE)


def test_hidden_and_nonexistent_fail_with_the_same_message(on: Gateway) -> None:
    gw = on
    hidden = refused(gw, '{ supplier(id: "s") { bankAccount } }', EMPLOYEE)
    made_up = refused(gw, '{ supplier(id: "s") { bankAccounQ } }', EMPLOYEE)
    assert hidden.message.replace("bankAccount", "X") == made_up.message.replace("bankAccounQ", "X")


def test_suggestions_name_only_what_the_caller_sees(on: Gateway) -> None:
    gw = on
    assert "trialBalance" not in refused(gw, TRIAL_BALANCE.replace("ce(", "c("), EMPLOYEE).message
    assert "'trialBalance'" in refused(gw, TRIAL_BALANCE.replace("ce(", "c("), FINANCE).message
    typed = "{ ...f } fragment f on Query { ... on TrialBalanc { __typename } }"
    assert "TrialBalance" not in refused(gw, typed, EMPLOYEE).message
    assert "'TrialBalance'" in refused(gw, typed, FINANCE).message


def test_suggestions_switched_off_name_nothing(off: Gateway) -> None:
    gw = off
    error = refused(gw, TRIAL_BALANCE.replace("ce(", "c("), FINANCE)
    assert error.message == "Cannot query field 'trialBalanc' on type 'Query'."


def test_validation_is_cached_per_visible_schema_not_per_request(on: Gateway) -> None:
    gw = on
    query = "{ me { id nope } }"
    document = parse(query)
    rules = gw.rules_for[True]
    first = gw.validation.errors(query, document, EMPLOYEE, rules)
    assert first and gw.validation.errors(query, document, CLERK, rules) is first
    assert gw.validation.errors(query, document, FINANCE, rules) is not first


def test_a_cached_refusal_keeps_no_syntax_tree(on: Gateway) -> None:
    gw = on
    refused(gw, TRIAL_BALANCE, EMPLOYEE)
    [cached] = [
        errors
        for results in gw.validation._results.values()
        for errors in results.values()
        if errors
    ]
    assert cached[0].nodes is None and cached[0].source is None and cached[0].locations


@pytest.mark.parametrize(
    ("setting", "production", "wanted"),
    [
        ("auto", False, True),
        ("auto", True, False),
        ("on", True, True),
        ("off", False, False),
    ],
)
def test_suggestions_are_off_in_production_unless_asked_for(
    setting: str, production: bool, wanted: bool
) -> None:
    assert suggestions_wanted(setting, production=production) is wanted


def test_the_setting_defaults_to_auto_and_refuses_other_values() -> None:
    assert Settings().validation_suggestions == "auto"
    with pytest.raises(ValueError, match="validation_suggestions"):
        Settings(validation_suggestions="maybe")  # type: ignore[arg-type]
