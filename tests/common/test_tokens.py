"""The gateway identity token: minted by the gateway, verified strictly by each subgraph."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from tandem_shared.keys import generate_private_key, key_id, public_key_of
from tandem_shared.tokens import (
    ISSUER,
    TOKEN_TYPE,
    InvalidToken,
    Principal,
    body_hash,
    mint_subgraph_token,
    verify_subgraph_request,
    verify_subgraph_token,
)
from tests.common.forge import ALICE, forged_tokens
from tests.support.jwt_parts import unverified_claims, unverified_header

PRIVATE = generate_private_key()
PUBLIC = public_key_of(PRIVATE)
BODY = b'{"query":"{ me { id } }"}'
FORGED = forged_tokens(PRIVATE, PUBLIC, "oa", BODY)


def test_a_minted_token_verifies_to_its_principal() -> None:
    token = mint_subgraph_token(PRIVATE, "oa", ALICE, body=BODY)

    assert verify_subgraph_token(token, PUBLIC, "oa", body=BODY) == ALICE


def test_a_token_is_bound_to_the_body_bytes_it_was_minted_for() -> None:
    token = mint_subgraph_token(PRIVATE, "oa", ALICE, body=BODY)

    for other in (b"", BODY + b"\n", BODY.replace(b"id", b"salary"), b'{"query":"{me{id}}"}'):
        with pytest.raises(InvalidToken, match="another body"):
            verify_subgraph_token(token, PUBLIC, "oa", body=other)
    assert unverified_claims(token)["bh"] == body_hash(BODY)
    # the claim is the RFC 4648 base64url SHA-256 without padding (43 characters)
    assert body_hash(b"") == "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"


def test_verification_names_the_token_id_and_expiry_for_a_replay_cache() -> None:
    token = mint_subgraph_token(PRIVATE, "oa", ALICE, body=BODY)

    verified = verify_subgraph_request(token, PUBLIC, "oa", body=BODY)

    claims = unverified_claims(token)
    assert (verified.principal, verified.token_id, verified.expires) == (
        ALICE, claims["jti"], claims["exp"],
    )  # fmt: skip


def test_a_token_carries_the_documented_header_and_claims() -> None:
    before = int(time.time())
    token = mint_subgraph_token(PRIVATE, "erp", Principal("svc", "Robot"), ttl=30, body=BODY)

    header = unverified_header(token)
    claims = unverified_claims(token)
    assert header == {"alg": "ES256", "typ": TOKEN_TYPE, "kid": key_id(PUBLIC)}
    assert set(claims) == {
        "iss", "aud", "sub", "name", "roles", "department", "client_id", "iat", "exp", "jti", "bh",
    }  # fmt: skip
    assert (claims["iss"], claims["aud"], claims["sub"]) == (ISSUER, "erp", "svc")
    assert (claims["roles"], claims["department"], claims["client_id"]) == ([], None, None)
    assert before <= claims["iat"] <= claims["exp"] - 30
    assert mint_subgraph_token(PRIVATE, "erp", ALICE, body=BODY) != mint_subgraph_token(
        PRIVATE, "erp", ALICE, body=BODY
    )


def test_a_token_lives_ten_seconds_by_default() -> None:
    claims = unverified_claims(mint_subgraph_token(PRIVATE, "oa", ALICE, body=BODY))

    assert claims["exp"] - claims["iat"] == 10


def test_a_token_just_past_expiry_is_accepted_within_the_leeway_only() -> None:
    now = int(time.time())
    token = mint_subgraph_token(PRIVATE, "oa", ALICE, 10, body=BODY, issued_at=now - 11)

    assert verify_subgraph_token(token, PUBLIC, "oa", body=BODY) == ALICE
    with pytest.raises(InvalidToken, match="expired"):
        verify_subgraph_token(token, PUBLIC, "oa", body=BODY, leeway=0)
    late = mint_subgraph_token(PRIVATE, "oa", ALICE, 10, body=BODY, issued_at=now - 13)
    with pytest.raises(InvalidToken, match="expired"):
        verify_subgraph_token(late, PUBLIC, "oa", body=BODY)


@pytest.mark.parametrize("ttl", [0, -1, 61])
def test_minting_refuses_lifetimes_outside_1_to_60_seconds(ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl"):
        mint_subgraph_token(PRIVATE, "oa", ALICE, ttl, body=BODY)


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ("expired", "expired"),
        ("wrong audience", "claims"),
        ("another body", "another body"),
        ("no body hash", "missing bh"),
        ("body hash not a string", "another body"),
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
    token = forged_tokens(PRIVATE, PUBLIC, "oa", BODY)[forgery]  # minted now: they live 10 s
    with pytest.raises(InvalidToken, match=reason) as caught:
        verify_subgraph_token(token, PUBLIC, "oa", body=BODY)
    assert token not in caught.value.reason or not token


def test_the_forgeries_cover_every_case() -> None:
    parametrized = test_every_forgery_is_refused_with_a_reason.pytestmark[0].args[1]  # type: ignore[attr-defined]
    assert {forgery for forgery, _ in parametrized} == set(FORGED)


def test_an_hmac_key_made_of_the_public_key_is_refused_even_if_hs256_were_asked() -> None:
    with pytest.raises(InvalidToken):
        verify_subgraph_token(FORGED["HS256 with the public key"], PUBLIC, "oa", body=BODY)
    with pytest.raises(ValueError, match="must not be used as oct keys"):  # nor does joserfc
        jwt.decode(FORGED["HS256 with the public key"], OctKey.import_key(PUBLIC), ["HS256"])


def test_principal_roles() -> None:
    assert ALICE.has_role("manager", "finance")
    assert not ALICE.has_role("finance")
