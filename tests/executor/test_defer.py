"""``@defer`` through a real gateway process over the benchmark subgraphs (issue 17, item 6).

``tandem serve`` with development identities and a small policy (a shopper may not read
``User.email``); ``reviews`` is reached through the fault proxy's ``held`` mode, so a test
decides when its answers come (only the first test here asks it anything); ``inventory``
points at a port nothing listens on, so a deferred fragment that needs it fails. A client
that sends ``Accept: multipart/mixed;deferSpec=20220824`` gets the incremental format Apollo
clients read, parsed here part by part as it streams, and read by Apollo Client itself
(``js/client.mjs``; installed into ``js/node_modules`` on first use, git-ignored, no lock file).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.benchmark_subgraphs import SUPERGRAPH
from tests.support.fault_proxy import FaultProxy, running_fault_proxy
from tests.support.gateway_process import running_gateway
from tests.support.multipart import parts_of
from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT

INCREMENTAL = "multipart/mixed;deferSpec=20220824,application/json"
CLIENT = Path(__file__).parent / "js"
SHOPPER = {"x-tandem-dev-user": "sam", "x-tandem-dev-roles": "shopper"}
POLICY = """\
p, shopper, *, Query.*, read, allow
p, shopper, *, Product.*, read, allow
p, shopper, *, Review.*, read, allow
p, shopper, *, Category.*, read, allow
p, shopper, *, User.*, read, allow
p, shopper, *, User.email, read, deny
"""


@contextlib.contextmanager
def _gateway(urls: dict[str, str], reviews: str, folder: Path) -> Iterator[str]:
    policy = folder / "policy"
    policy.mkdir()
    (policy / "model.conf").write_text((REPO_ROOT / "policies/model.conf").read_text())
    (policy / "policy.csv").write_text(POLICY)
    (policy / "roles.csv").write_text("shopper, reads the storefront but not e-mail addresses\n")
    routes = {
        "accounts": urls["accounts"],
        "products": urls["products"],
        "reviews": reviews,
        "inventory": f"http://127.0.0.1:{free_port()}/graphql",  # nothing listens there
    }
    env = {
        "TANDEM_SUBGRAPH_URLS": ",".join(f"{name}={url}" for name, url in routes.items()),
        "TANDEM_DEV_IDENTITY": "1",
        "TANDEM_POLICY_DIR": str(policy),
        "TANDEM_DATA_DIR": str(folder / "data"),
    }
    with running_gateway(SUPERGRAPH, env=env) as url:
        yield url


@pytest.fixture(scope="module")
def reviews_proxy(benchmark_subgraphs: dict[str, str]) -> Iterator[FaultProxy]:
    with running_fault_proxy(benchmark_subgraphs["reviews"]) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def gateway(
    benchmark_subgraphs: dict[str, str],
    reviews_proxy: FaultProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    reviews = reviews_proxy.url("held", "reviews")
    with _gateway(benchmark_subgraphs, reviews, tmp_path_factory.mktemp("defer")) as url:
        yield url


def _incremental(url: str, body: dict[str, Any]) -> list[Any]:
    with httpx.stream(
        "POST", url, json=body, headers={**SHOPPER, "accept": INCREMENTAL}, timeout=60
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == (
            'multipart/mixed;boundary="graphql";deferSpec=20220824'
        )
        return list(parts_of(response))


def _json(url: str, body: dict[str, Any], accept: str = "application/json") -> httpx.Response:
    return httpx.post(url, json=body, headers={**SHOPPER, "accept": accept}, timeout=60)


def test_the_first_part_comes_without_waiting_for_the_deferred_fetch(
    gateway: str, reviews_proxy: FaultProxy
) -> None:
    query = (
        "{ topProducts(first: 2) { upc name"
        ' ... @defer(label: "reviews") { reviews { body author { username } } } } }'
    )
    with httpx.stream(
        "POST", gateway, json={"query": query}, headers={**SHOPPER, "accept": INCREMENTAL},
        timeout=60,
    ) as response:  # fmt: skip
        parts = parts_of(response)
        first = next(parts)
        # the deferred fetch went out and is held at the proxy: the first part did not wait
        assert reviews_proxy.count("reviews") == 1
        reviews_proxy.release("reviews")
        rest = list(parts)
    whole = _json(gateway, {"query": query}).json()  # the same query, one answer
    products = whole["data"]["topProducts"]
    assert first == {
        "data": {"topProducts": [{"upc": p["upc"], "name": p["name"]} for p in products]},
        "hasNext": True,
    }
    assert rest == [
        {
            "incremental": [
                {"data": {"reviews": p["reviews"]}, "path": ["topProducts", i], "label": "reviews"}
                for i, p in enumerate(products)
            ],
            "hasNext": False,
        },
        "end",
    ]
    assert all(p["reviews"] and p["reviews"][0]["author"]["username"] for p in products)


def test_a_deferred_fetch_that_fails_gives_its_error_in_its_part_only(gateway: str) -> None:
    query = '{ topProducts(first: 2) { upc ... @defer(label: "stock") { inStock } } }'
    first, part, end = _incremental(gateway, {"query": query})
    upcs = [p["upc"] for p in first["data"]["topProducts"]]
    assert first == {"data": {"topProducts": [{"upc": u} for u in upcs]}, "hasNext": True}
    assert len(upcs) == 2 and end == "end"
    assert part["hasNext"] is False
    entries = part["incremental"]
    assert [e["path"] for e in entries] == [["topProducts", 0], ["topProducts", 1]]
    assert all(e["label"] == "stock" for e in entries)
    # inStock is non-null: its null reaches the deferred fragment's object
    assert [e["data"] for e in entries] == [None, None]
    errors = [error for e in entries for error in e["errors"]]
    assert {e["extensions"]["code"] for e in errors} == {"SUBGRAPH_UNAVAILABLE"}
    # the errors the same query answered whole has, at the same paths (each in the entry of
    # the object it is at)
    whole = _json(gateway, {"query": query}).json()
    assert whole["data"] is None
    assert sorted(errors, key=str) == sorted(whole["errors"], key=str)
    for entry in entries:
        assert all(e["path"][:2] == entry["path"] for e in entry["errors"])


def test_a_deferred_field_the_caller_may_not_read_is_forbidden_in_its_part(gateway: str) -> None:
    query = '{ me { name } ... @defer(label: "contact") { me { username email } } }'
    first, part, end = _incremental(gateway, {"query": query})
    assert first["hasNext"] is True and "errors" not in first
    name = first["data"]["me"]["name"]
    assert first == {"data": {"me": {"name": name}}, "hasNext": True}
    [entry] = part["incremental"]
    assert entry["path"] == [] and entry["label"] == "contact"
    assert entry["data"] == {"me": None}  # email is non-null: its denial nulls `me`
    [error] = entry["errors"]
    assert error["path"] == ["me", "email"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert part["hasNext"] is False and end == "end"


def test_if_false_defers_nothing_and_a_json_client_gets_one_answer(gateway: str) -> None:
    deferred = (
        "query ($later: Boolean!) { topProducts(first: 1) { upc ... @defer(if: $later) { name } } }"
    )
    answer = _json(gateway, {"query": deferred, "variables": {"later": False}}, INCREMENTAL)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    whole = answer.json()
    [product] = whole["data"]["topProducts"]
    assert set(whole) == {"data"} and product["upc"] and product["name"]
    # a client that does not accept multipart gets the deferred fragment in its one answer
    plain = _json(gateway, {"query": deferred, "variables": {"later": True}})
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json() == whole
    # the same with the client's multipart: two parts
    first, part, end = _incremental(gateway, {"query": deferred, "variables": {"later": True}})
    assert first == {"data": {"topProducts": [{"upc": product["upc"]}]}, "hasNext": True}
    assert part == {
        "incremental": [{"data": {"name": product["name"]}, "path": ["topProducts", 0]}],
        "hasNext": False,
    }
    assert end == "end"


def test_labels_must_be_unique(gateway: str) -> None:
    query = '{ me { ... @defer(label: "a") { name } ... @defer(label: "a") { username } } }'
    answer = _json(gateway, {"query": query}, INCREMENTAL)
    assert answer.headers["content-type"].startswith("application/json")
    [error] = answer.json()["errors"]
    assert "data" not in answer.json()
    assert error["message"] == "Defer/Stream directive label argument must be unique."
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for Apollo Client")
    if not (CLIENT / "node_modules" / "@apollo" / "client").exists():
        subprocess.run(
            [npm, "install", "--no-package-lock", "--no-audit", "--no-fund"],
            cwd=CLIENT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return node


def test_apollo_client_reads_the_deferred_answer(node: str, gateway: str) -> None:
    query = (
        "query Deferred { topProducts(first: 2) { upc name"
        ' ... @defer(label: "later") { price category { id } } } }'
    )
    done = subprocess.run(
        [node, "client.mjs", gateway, json.dumps({"query": query}), json.dumps(SHOPPER)],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    whole = _json(gateway, {"query": query}).json()
    assert "errors" not in whole
    # first what the first part carried, then everything once the deferred part came
    assert [r["dataState"] for r in results] == ["streaming", "complete"]
    assert results[0]["data"] == {
        "topProducts": [
            {"__typename": "Product", "upc": p["upc"], "name": p["name"]}
            for p in whole["data"]["topProducts"]
        ]
    }
    assert results[1]["data"]["topProducts"] == [
        {"__typename": "Product", **p, "category": {"__typename": "Category", **p["category"]}}
        for p in whole["data"]["topProducts"]
    ]
