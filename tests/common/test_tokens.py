"""The gateway identity token: minted by the gateway, verified strictly by each subgraph."""

from __future__ import annotations

import time

import pytest
from jose import jwt  # type: ignore[import-untyped]

from subgraphs.common.keys import generate_private_key, key_id, public_key_of
from subgraphs.common.tokens import (
    ISSUER,
    TOKEN_TYPE,
    InvalidToken,
    Principal,
    mint_subgraph_token,
    verify_subgraph_token,
)
from tests.common.forge import ALICE, forged_tokens

PRIVATE = generate_private_key()
PUBLIC = public_key_of(PRIVATE)
FORGED = forged_tokens(PRIVATE, PUBLIC, "oa")


def test_a_minted_token_verifies_to_its_principal() -> None:
    token = mint_subgraph_token(PRIVATE, "oa", ALICE)

    assert verify_subgraph_token(token, PUBLIC, "oa") == ALICE


def test_a_token_carries_the_documented_header_and_claims() -> None:
    before = int(time.time())
    token = mint_subgraph_token(PRIVATE, "erp", Principal("svc", "Robot"), ttl=30)

    header = jwt.get_unverified_header(token)
    claims = jwt.get_unverified_claims(token)
    assert header == {"alg": "ES256", "typ": TOKEN_TYPE, "kid": key_id(PUBLIC)}
    assert set(claims) == {
        "iss", "aud", "sub", "name", "roles", "department", "client_id", "iat", "exp", "jti",
    }  # fmt: skip
    assert (claims["iss"], claims["aud"], claims["sub"]) == (ISSUER, "erp", "svc")
    assert (claims["roles"], claims["department"], claims["client_id"]) == ([], None, None)
    assert before <= claims["iat"] <= claims["exp"] - 30
    assert mint_subgraph_token(PRIVATE, "erp", ALICE) != mint_subgraph_token(PRIVATE, "erp", ALICE)


def test_a_token_just_past_expiry_is_accepted_within_the_leeway() -> None:
    token = mint_subgraph_token(PRIVATE, "oa", ALICE, 60, issued_at=int(time.time()) - 62)

    assert verify_subgraph_token(token, PUBLIC, "oa") == ALICE
    with pytest.raises(InvalidToken, match="expired"):
        verify_subgraph_token(token, PUBLIC, "oa", leeway=0)


@pytest.mark.parametrize("ttl", [0, -1, 301])
def test_minting_refuses_lifetimes_outside_1_to_300_seconds(ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl"):
        mint_subgraph_token(PRIVATE, "oa", ALICE, ttl)


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ("expired", "expired"),
        ("wrong audience", "claims"),
        ("audience list", "audience"),
        ("wrong issuer", "claims"),
        ("alg none", "algorithm not allowed"),
        ("HS256 with the public key", "algorithm not allowed"),
        ("another key", "signature"),
        ("signature of another token", "signature"),
        ("generic JWT type", "not a gateway identity token"),
        ("lifetime too long", "lifetime"),
        ("issued in the future", "future"),
        ("no audience", "missing aud"),
        ("no issuer", "issuer"),
        ("no jti", "missing jti"),
        ("no subject", "missing sub"),
        ("no expiry", "missing exp"),
        ("roles not a list", "roles"),
        ("malformed", "malformed"),
        ("empty", "malformed"),
    ],
)
def test_every_forgery_is_refused_with_a_reason(forgery: str, reason: str) -> None:
    token = forged_tokens(PRIVATE, PUBLIC, "oa")[forgery]  # minted now: tokens live 60 s
    with pytest.raises(InvalidToken, match=reason) as caught:
        verify_subgraph_token(token, PUBLIC, "oa")
    assert token not in caught.value.reason or not token


def test_the_forgeries_cover_every_case() -> None:
    parametrized = test_every_forgery_is_refused_with_a_reason.pytestmark[0].args[1]  # type: ignore[attr-defined]
    assert {forgery for forgery, _ in parametrized} == set(FORGED)


def test_an_hmac_key_made_of_the_public_key_is_refused_even_if_hs256_were_asked() -> None:
    with pytest.raises(InvalidToken):
        verify_subgraph_token(FORGED["HS256 with the public key"], PUBLIC, "oa")
    with pytest.raises(Exception):  # noqa: B017 - python-jose itself refuses PEM keys for HMAC
        jwt.decode(FORGED["HS256 with the public key"], PUBLIC, algorithms=["HS256"])


def test_principal_roles() -> None:
    assert ALICE.has_role("manager", "finance")
    assert not ALICE.has_role("finance")
