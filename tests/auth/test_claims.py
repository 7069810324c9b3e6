"""Claim mapping against tokens shaped as Keycloak, Entra ID, Okta and a plain provider issue them.

Each shape is the payload such a provider puts in an ID token or access token for one
employee (the values are made up; the layout is the provider's), with the settings a
customer would write for it (README, "Identity providers"). The same mapping reads bearer
tokens (``gateway/auth/providers.py``) and sessions (``TANDEM_OIDC_*``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.claims import ClaimError, ClaimMapping, parse_role_map
from gateway.auth.providers import parse_providers
from gateway.auth.routes import claim_mapping

KEYCLOAK = {
    "iss": "https://sso.acme.example/realms/acme",
    "sub": "f3c1a2de-7f0e-4c52-9a55-0b1f6f3c9d11",  # a database id, not the employee number
    "preferred_username": "e1001",
    "name": "Lin Wei",
    "email": "lin.wei@acme.example",
    "employee_id": "E1001",
    "department": "D-FIN",
    "realm_access": {"roles": ["offline_access", "uma_authorization", "employee"]},
    "resource_access": {"tandem": {"roles": ["approver"]}, "account": {"roles": ["view"]}},
    "groups": ["/finance", "/finance/payables"],
}
ENTRA_ID = {
    "iss": "https://login.microsoftonline.com/6d1c2a7e-0000-4000-8000-000000000000/v2.0",
    "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",  # pairwise, opaque
    "oid": "00000000-0000-0000-66f3-3332eca7ea81",
    "preferred_username": "lin.wei@acme.example",
    "name": "Lin Wei",
    "roles": ["Tandem.Approver"],  # app roles
    "groups": ["8f0a3b2c-1d4e-4f60-9a7b-0c1d2e3f4a5b", "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"],
    "employeeId": "E1001",
    "department": "D-FIN",
}
OKTA = {
    "iss": "https://acme.okta.example/oauth2/default",
    "sub": "00u1abcd2EFGH3ijk4x7",
    "preferred_username": "lin.wei@acme.example",
    "name": "Lin Wei",
    "groups": ["Everyone", "Tandem Approvers", "Finance"],
    "https://acme.example/claims/employee_number": "E1001",
    "https://acme.example/claims/department": "D-FIN",
}
PLAIN = {
    "iss": "https://idp.acme.example",
    "sub": "E1001",
    "name": "Lin Wei",
    "groups": "employee approver",
    "department": "D-FIN",
}

SHAPES: dict[str, tuple[dict[str, Any], ClaimMapping]] = {
    "keycloak": (
        KEYCLOAK,
        ClaimMapping(
            subject="employee_id",
            roles=("realm_access.roles", "resource_access.tandem.roles"),
            role_map=parse_role_map({"employee": "employee", "approver": "approver"}),
        ),
    ),
    "entra id": (
        ENTRA_ID,
        ClaimMapping(
            subject="employeeId",
            roles=("roles", "groups"),
            role_map=parse_role_map(
                {
                    "Tandem.Approver": "approver",
                    "8f0a3b2c-1d4e-4f60-9a7b-0c1d2e3f4a5b": "employee",
                }
            ),
        ),
    ),
    "okta": (
        OKTA,
        ClaimMapping(
            subject="https://acme.example/claims/employee_number",
            roles=("groups",),
            department="https://acme.example/claims/department",
            role_map=parse_role_map({"Everyone": "employee", "Tandem Approvers": "approver"}),
        ),
    ),
    "plain": (PLAIN, ClaimMapping(roles=("groups",))),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_maps_to_the_same_employee(shape: str) -> None:
    claims, mapping = SHAPES[shape]
    identity = mapping.identity(claims)
    assert (identity.subject, identity.name, identity.department) == ("E1001", "Lin Wei", "D-FIN")
    assert sorted(identity.roles) == ["approver", "employee"]


def test_with_a_role_map_unlisted_provider_values_give_no_role() -> None:
    mapping = ClaimMapping(roles=("groups",), role_map=parse_role_map({"/finance": "finance"}))
    assert mapping.roles_of(KEYCLOAK) == ("finance",)  # not /finance/payables
    assert ClaimMapping(roles=("groups",)).roles_of(KEYCLOAK) == ("/finance", "/finance/payables")


def test_one_provider_value_may_give_several_roles() -> None:
    mapping = ClaimMapping(roles=("groups",), role_map=parse_role_map({"Finance": "r1 r2"}))
    assert mapping.roles_of(OKTA) == ("r1", "r2")


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"sub": ["E1"]}, "subject claim sub"),
        ({"sub": "E1", "groups": [1]}, "roles claim groups"),
        ({"sub": "E1", "department": 7}, "department claim"),
    ],
)
def test_claims_of_the_wrong_type_are_refused(claims: dict[str, Any], message: str) -> None:
    with pytest.raises(ClaimError, match=message):
        ClaimMapping(roles=("groups",)).identity(claims)


def test_a_missing_subject_is_none_not_a_guess() -> None:
    assert ClaimMapping(subject="employee_id").identity({"sub": "x"}).subject is None


def test_the_session_mapping_reads_the_documented_variables() -> None:
    mapping = claim_mapping(
        {
            "TANDEM_OIDC_SUBJECT_CLAIM": "employee_id",
            "TANDEM_OIDC_ROLES_CLAIM": "realm_access.roles, resource_access.tandem.roles",
            "TANDEM_OIDC_ROLE_MAP": "employee=employee,approver=approver+reviewer",
        }
    )
    assert mapping.identity(KEYCLOAK).roles == ("employee", "approver", "reviewer")
    assert mapping.identity(KEYCLOAK).subject == "E1001"


def test_the_bearer_mapping_reads_a_role_map_table() -> None:
    (provider,) = parse_providers({
        "providers": [{
            "issuer": "https://login.microsoftonline.com/t/v2.0",
            "audiences": ["api://tandem"],
            "claims": {
                "subject": "employeeId",
                "roles": ["roles", "groups"],
                "role_map": {"Tandem.Approver": "approver",
                             "8f0a3b2c-1d4e-4f60-9a7b-0c1d2e3f4a5b": ["employee"]},
            },
        }]
    })  # fmt: skip
    assert provider.claims.identity(ENTRA_ID).roles == ("approver", "employee")


def test_config_show_shows_the_mapping(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TANDEM_OIDC_SUBJECT_CLAIM": "employee_id",
        "TANDEM_OIDC_ROLES_CLAIM": "realm_access.roles",
        "TANDEM_OIDC_ROLE_MAP": "/finance=finance,/hr=hr+employee",
        "TANDEM_BEARER_SUBJECT_CLAIM": "username",
    }
    shown = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "config", "show"],
        env=env, capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout  # fmt: skip
    assert 'oidc_subject_claim = "employee_id"' in shown
    assert 'oidc_roles_claim = "realm_access.roles"' in shown
    assert 'oidc_role_map = { "/finance" = "finance", "/hr" = "hr+employee" }' in shown
    assert 'bearer_subject_claim = "username"' in shown
