"""The default policy is complete: every coordinate of the composed supergraph's API schema is
granted to a role, or deliberately restricted (``policies/restricted.yaml``, with a reason).

"Granted" is decided by the gateway's own enforcer, asked as one role at a time (rules on
related objects, ``employee@self``, count: the gateway fetches such fields and shows them on
the caller's own objects). The auditor's blanket read is left out: it would grant every field.
The mutation table below is the intended ownership of every write, so that widening a grant
(or losing one) shows up here in review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from gateway.authz.enforcer import PolicyEnforcer, read_policy_file
from gateway.authz.tools import schema_coordinates
from gateway.demo import DEMO_ROLES
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
SUPERGRAPH = ROOT / "subgraphs" / "supergraph.graphql"
ROLES = tuple(role for role in DEMO_ROLES if role != "auditor")


@pytest.fixture(scope="module")
def coordinates() -> dict[str, str]:
    """Coordinate -> the action the gateway asks for it (write for mutation root fields)."""
    return schema_coordinates(load_supergraph(SUPERGRAPH).api_schema)


@pytest.fixture(scope="module")
def enforcer() -> PolicyEnforcer:
    return PolicyEnforcer(POLICIES / "model.conf", POLICIES / "policy.csv")


@pytest.fixture(scope="module")
def restricted() -> dict[str, str]:
    """Coordinate -> reason, from ``policies/restricted.yaml`` (checked for its shape)."""
    document = yaml.safe_load((POLICIES / "restricted.yaml").read_text(encoding="utf-8"))
    assert isinstance(document, dict) and set(document) == {"restricted"}, document
    entries = document["restricted"] or []
    found: dict[str, str] = {}
    for entry in entries:
        assert isinstance(entry, dict) and set(entry) == {"coordinate", "reason"}, entry
        coordinate, reason = entry["coordinate"], entry["reason"]
        assert isinstance(reason, str) and len(reason.split()) >= 5, f"{coordinate}: a reason"
        assert coordinate not in found, f"{coordinate} is listed twice"
        found[coordinate] = reason
    return found


def holds(enforcer: PolicyEnforcer, role: str, coordinate: str, action: str) -> bool:
    """Whether ``role`` alone may have ``coordinate``, asked as the gateway asks it."""
    principal = Principal("coverage-probe", "coverage-probe", (role,), None)
    if enforcer.decide(principal, coordinate, action).allowed:
        return True
    parent = coordinate.split(".", 1)[0]
    relations = [name for name, relation in enforcer.relations.items() if parent in relation.paths]
    return bool(relations and enforcer.conditional_grants(principal, coordinate, action, relations))


def holders(
    enforcer: PolicyEnforcer, coordinate: str, action: str, roles: Iterable[str] = ROLES
) -> frozenset[str]:
    """The roles that may have ``coordinate``."""
    return frozenset(role for role in roles if holds(enforcer, role, coordinate, action))


def ungranted(enforcer: PolicyEnforcer, coordinates: Mapping[str, str]) -> list[str]:
    """The coordinates no role but the auditor may have."""
    return sorted(
        c for c, action in coordinates.items()
        if not any(holds(enforcer, role, c, action) for role in ROLES)
    )  # fmt: skip


def test_every_coordinate_is_granted_to_a_role_or_restricted_with_a_reason(
    enforcer: PolicyEnforcer, coordinates: dict[str, str], restricted: dict[str, str]
) -> None:
    missing = [c for c in ungranted(enforcer, coordinates) if c not in restricted]
    assert missing == [], "granted to no role and not in policies/restricted.yaml"


def test_restricted_entries_are_coordinates_of_the_supergraph(
    coordinates: dict[str, str], restricted: dict[str, str]
) -> None:
    assert sorted(set(restricted) - set(coordinates)) == [], "stale entries"


def test_restricted_coordinates_are_granted_to_no_role(
    enforcer: PolicyEnforcer, coordinates: dict[str, str], restricted: dict[str, str]
) -> None:
    granted = {c: sorted(holders(enforcer, c, coordinates[c])) for c in restricted}
    assert {c: roles for c, roles in granted.items() if roles} == {}


def test_the_auditor_reads_everything_but_does_not_count_as_a_grant(
    enforcer: PolicyEnforcer, coordinates: dict[str, str]
) -> None:
    reads = [c for c, action in coordinates.items() if action == "read"]
    assert not holds(enforcer, "auditor", "Mutation.createPurchaseOrder", "write")
    assert all(holds(enforcer, "auditor", c, "read") for c in reads)
    assert ungranted(enforcer, coordinates)  # without the auditor, something is left


def test_a_missing_grant_is_found(enforcer: PolicyEnforcer, coordinates: dict[str, str]) -> None:
    """The check can fail: drop production's bill-of-materials lines and those fields show up."""
    kept = [line for line in read_policy_file(enforcer.model_path, POLICIES / "policy.csv")
            if line[1:4] != ("production", "*", "BomComponent.*")]  # fmt: skip
    bom = {c: a for c, a in coordinates.items() if c.startswith("BomComponent.")}
    assert ungranted(enforcer.preview(kept), bom) == ["BomComponent.item", "BomComponent.quantity"]
    assert ungranted(enforcer, bom) == []


# Every mutation of the supergraph and the roles that may run it (on top of what the subgraphs
# check row by row: only the current approver approves, only the organizer cancels, ...).
EMPLOYEE = "employee"
MUTATIONS: dict[str, frozenset[str]] = {
    name: frozenset(roles)
    for roles, names in {
        (EMPLOYEE,): (
            "sendMessage", "markRead", "archiveMessage", "createDocument", "addDocumentVersion",
            "uploadDocumentVersion",
            "shareDocument", "unshareDocument", "submitPurchaseRequest", "submitApprovalRequest",
            "approve", "reject", "withdraw", "transfer", "bookMeeting", "cancelMeeting",
            "recordMinutes",
        ),
        ("manager", "hr"): ("publishAnnouncement",),
        ("hr",): (
            "updateEmployeeIdentity", "defineApprovalFlow", "createMeetingRoom",
            "createEmployee", "updateEmployee", "transferEmployee", "deactivateEmployee",
            "createDepartment", "updateDepartment", "deactivateDepartment",
        ),
        ("finance",): (
            "createAccount", "postJournalEntry", "setBudget", "registerAsset", "setSalary",
            "closeSalesOrder",
        ),
        ("procurement",): (
            "createSupplier", "sendPurchaseOrder", "receiveGoods", "cancelPurchaseOrder",
            "closePurchaseOrder", "createItem", "createWarehouse", "adjustStock",
        ),
        ("sales",): ("createCustomer", "createSalesOrder", "shipSalesOrder", "cancelSalesOrder"),
        ("production",): (
            "setBillOfMaterials", "createProductionPlan", "releaseWorkOrder", "reportProgress",
            "recordInspection",
        ),
        ("security_admin", "procurement", "finance"): ("retryParkedEvent", "cancelParkedEvent"),
        (): ("createPurchaseOrder",),
    }.items()
    for name in names
}  # fmt: skip


def test_each_mutation_is_held_by_exactly_the_roles_whose_work_it_is(
    enforcer: PolicyEnforcer, coordinates: dict[str, str]
) -> None:
    mutations = {c.split(".", 1)[1] for c, action in coordinates.items() if action == "write"}
    assert set(MUTATIONS) == mutations
    held = {name: holders(enforcer, f"Mutation.{name}", "write", DEMO_ROLES) for name in mutations}
    assert held == MUTATIONS
