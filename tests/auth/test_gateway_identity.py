"""Programs call the gateway with bearer tokens from a real OpenID provider; the gateway
passes on an identity only it can sign, and the subgraph acts for that identity.

The subgraph is ``tests.common.sample_subgraph`` (built like OA and ERP, behind the gateway
identity guard): its ``me`` answers the name in the token the gateway signed for it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.fixtures import write_supergraph
from tests.support.gateway_process import running_gateway
from tests.support.oidc import browser
from tests.support.oidc.fixture import GATEWAY_RESOURCE, OidcProvider
from tests.support.processes import REPO_ROOT, free_port

SUPERGRAPH = Path(__file__).with_name("sample_supergraph.graphql")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the gateway's development signing key lives; the subgraph reads it there too."""
    return tmp_path_factory.mktemp("tandem-data")


@pytest.fixture(scope="module")
def sample_subgraph(data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.common.sample_subgraph", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "subgraph down"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def gateway_url(
    sample_subgraph: str,
    data_dir: Path,
    oidc_provider: OidcProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    supergraph = write_supergraph(
        {"sample": sample_subgraph},
        tmp_path_factory.mktemp("sg") / "supergraph.graphql",
        source=SUPERGRAPH,
    )
    env = {
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_BEARER_ISSUER": oidc_provider.issuer,
        "TANDEM_BEARER_AUDIENCES": GATEWAY_RESOURCE,
    }
    with running_gateway(supergraph, env=env) as url:
        yield url


def _ask(url: str, token: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(url, json={"query": "{ me }"}, headers=headers, timeout=10)


def test_a_user_token_reaches_the_subgraph_as_that_user(
    gateway_url: str, oidc_provider: OidcProvider
) -> None:
    alice = oidc_provider.user("alice")
    request = oidc_provider.authorization_request(resource=GATEWAY_RESOURCE)
    with browser.user_agent() as agent:
        callback = browser.login(request.url, alice.username, alice.password, client=agent)
    tokens = oidc_provider.exchange_code(request, callback)
    response = _ask(gateway_url, tokens["access_token"])
    assert response.status_code == 200
    assert response.json() == {"data": {"me": alice.claims["name"]}}


def test_an_integrator_token_is_accepted(gateway_url: str, oidc_provider: OidcProvider) -> None:
    token = oidc_provider.client_credentials_token()["access_token"]
    response = _ask(gateway_url, token)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json()


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-token", id="garbage"),
        pytest.param(
            _unsigned({"iss": "x", "sub": "alice", "aud": GATEWAY_RESOURCE, "exp": 4102444800}),
            id="alg-none",
        ),
    ],
)
def test_bad_tokens_are_refused_with_401(gateway_url: str, token: str) -> None:
    response = _ask(gateway_url, token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_without_a_token_the_subgraph_refuses_the_anonymous_call(gateway_url: str) -> None:
    body = _ask(gateway_url, None).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_the_subgraph_refuses_calls_that_bypass_the_gateway(
    sample_subgraph: str, oidc_provider: OidcProvider
) -> None:
    direct = httpx.post(sample_subgraph, json={"query": "{ me }"}, timeout=10)
    assert direct.status_code == 401
    # even a valid IdP token is not the gateway's identity token
    token = oidc_provider.client_credentials_token()["access_token"]
    direct = httpx.post(
        sample_subgraph,
        json={"query": "{ me }"},
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert direct.status_code == 401


# -- integrators: rate limits shared through Redis, trusted documents ---------------------

TRUSTED = "{ me }"


@pytest.fixture(scope="module")
def integrator_gateways(
    sample_subgraph: str,
    data_dir: Path,
    oidc_provider: OidcProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """Two replicas, one Redis: the integrator client may make 3 requests a minute, and only
    the trusted document ``{ me }``."""
    folder = tmp_path_factory.mktemp("integrators")
    supergraph = write_supergraph(
        {"sample": sample_subgraph}, folder / "supergraph.graphql", source=SUPERGRAPH
    )
    documents = folder / "documents"
    documents.mkdir()
    (documents / "erp.json").write_text(json.dumps([TRUSTED]))
    client_id = oidc_provider.integrator_client.client_id
    providers = {
        "providers": [
            {
                "issuer": oidc_provider.issuer,
                "audiences": [GATEWAY_RESOURCE],
                "clients": {
                    client_id: {
                        "subject": "integrator-erp",
                        "rate_limit_per_minute": 3,
                        "trusted_documents": "erp",
                    }
                },
            }
        ]
    }
    env = {
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_BEARER_PROVIDERS": json.dumps(providers),
        "TANDEM_REDIS_URL": "redis://127.0.0.1:6379/0",
        "TANDEM_TRUSTED_DOCUMENTS_DIR": str(documents),
    }
    with (
        running_gateway(supergraph, env=env) as first,
        running_gateway(supergraph, env=env) as second,
    ):
        yield first, second


def test_integrator_limits_are_shared_by_replicas_and_documents_are_trusted(
    integrator_gateways: tuple[str, str], oidc_provider: OidcProvider
) -> None:
    first, second = integrator_gateways
    token = oidc_provider.client_credentials_token()["access_token"]
    headers = {"authorization": f"Bearer {token}"}
    untrusted = httpx.post(first, json={"query": "{ me __typename }"}, headers=headers)
    assert untrusted.status_code == 403
    assert untrusted.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    # the refused request counted; two more pass, on either replica, then the shared budget ends
    statuses = [
        httpx.post(url, json={"query": TRUSTED}, headers=headers).status_code
        for url in (first, second, first, second)
    ]
    if statuses[0] == 429:  # the minute turned over between requests: start again
        statuses = [
            httpx.post(url, json={"query": TRUSTED}, headers=headers).status_code
            for url in (first, second, first, second)
        ]
    assert statuses[:2] == [200, 200] and 429 in statuses[2:], statuses
    limited = httpx.post(second, json={"query": TRUSTED}, headers=headers)
    assert limited.status_code == 429
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) <= 60


@pytest.fixture(scope="module")
def batching_gateway(
    sample_subgraph: str,
    data_dir: Path,
    oidc_provider: OidcProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """One replica with batching on, rate limits counted in its memory: the integrator client
    may run 3 operations a minute, only ``{ me }``, listed as ``erp-me`` in an Apollo
    persisted query manifest."""
    folder = tmp_path_factory.mktemp("batching")
    supergraph = write_supergraph(
        {"sample": sample_subgraph}, folder / "supergraph.graphql", source=SUPERGRAPH
    )
    documents = folder / "documents"
    documents.mkdir()
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": "erp-me", "body": TRUSTED, "name": None, "type": "query"}],
    }
    (documents / "erp.json").write_text(json.dumps(manifest))
    client = {"subject": "integrator-erp", "rate_limit_per_minute": 3, "trusted_documents": "erp"}
    providers = {
        "providers": [
            {
                "issuer": oidc_provider.issuer,
                "audiences": [GATEWAY_RESOURCE],
                "clients": {oidc_provider.integrator_client.client_id: client},
            }
        ]
    }
    env = {
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_BEARER_PROVIDERS": json.dumps(providers),
        "TANDEM_TRUSTED_DOCUMENTS_DIR": str(documents),
        "TANDEM_BATCHING": "true",
        "TANDEM_REDIS_URL": None,  # this replica counts in its own memory
    }
    with running_gateway(supergraph, env=env) as url:
        yield url


def test_an_integrators_batch_runs_its_documents_by_id_and_counts_every_operation(
    batching_gateway: str, oidc_provider: OidcProvider
) -> None:
    token = oidc_provider.client_credentials_token()["access_token"]
    headers = {"authorization": f"Bearer {token}"}
    batch = [{"documentId": "erp-me"}, {"query": "{ me __typename }"}]
    answers = httpx.post(batching_gateway, json=batch, headers=headers)
    assert answers.status_code == 200
    by_id, untrusted = answers.json()
    assert list(by_id) == ["data"] and isinstance(by_id["data"]["me"], str)  # ran, no errors
    assert untrusted["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    # two operations counted: a batch of two more is over the 3 a minute (once the minute
    # the first batch was counted in is over, the next batch of two is)
    pair = [{"documentId": "erp-me"}] * 2
    statuses = [httpx.post(batching_gateway, json=pair, headers=headers).status_code]
    if statuses[0] == 200:
        statuses.append(httpx.post(batching_gateway, json=pair, headers=headers).status_code)
    assert statuses[-1] == 429, statuses


# -- the plan API (POST /plan) for an integrator client -------------------------------------


@pytest.fixture(scope="module")
def planning_gateway(
    sample_subgraph: str,
    data_dir: Path,
    oidc_provider: OidcProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The integrator client maps to the subject ``integrator-dev``, whom the policy lets read
    ``me`` and see plans (``Gateway.queryPlan``)."""
    folder = tmp_path_factory.mktemp("planning")
    supergraph = write_supergraph(
        {"sample": sample_subgraph}, folder / "supergraph.graphql", source=SUPERGRAPH
    )
    policy = folder / "policy"
    policy.mkdir()
    (policy / "model.conf").write_text((REPO_ROOT / "policies/model.conf").read_text())
    (policy / "policy.csv").write_text(
        "p, integrator-dev, *, Gateway.queryPlan, read, allow\n"
        "p, integrator-dev, *, Query.me, read, allow\n"
    )
    (policy / "roles.csv").write_text("integrator-dev, the test's integrator client\n")
    client_id = oidc_provider.integrator_client.client_id
    providers = {
        "providers": [
            {
                "issuer": oidc_provider.issuer,
                "audiences": [GATEWAY_RESOURCE],
                "clients": {client_id: {"subject": "integrator-dev"}},
            }
        ]
    }
    env = {
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_BEARER_PROVIDERS": json.dumps(providers),
        "TANDEM_POLICY_DIR": str(policy),
        "TANDEM_REDIS_URL": None,
    }
    with running_gateway(supergraph, env=env) as url:
        yield url.removesuffix("/graphql")


def test_an_integrator_client_the_policy_allows_gets_plans_by_bearer_token(
    planning_gateway: str, oidc_provider: OidcProvider
) -> None:
    token = oidc_provider.client_credentials_token()["access_token"]
    response = httpx.post(f"{planning_gateway}/plan", json={"query": "{ me }"}, timeout=10,
                          headers={"authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["subgraphs"] == ["sample"]


def test_plans_are_refused_with_a_bad_token_or_without_a_policy(
    planning_gateway: str, gateway_url: str, oidc_provider: OidcProvider
) -> None:
    bad = httpx.post(f"{planning_gateway}/plan", json={"query": "{ me }"}, timeout=10,
                     headers={"authorization": "Bearer not-a-token"})  # fmt: skip
    assert bad.status_code == 401
    assert "www-authenticate" in bad.headers
    token = oidc_provider.client_credentials_token()["access_token"]
    unpoliced = httpx.post(gateway_url.removesuffix("/graphql") + "/plan", timeout=10,
                           json={"query": "{ me }"},
                           headers={"authorization": f"Bearer {token}"})  # fmt: skip
    assert unpoliced.status_code == 403  # no policy: nobody sees plans
    assert unpoliced.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
