"""A relation the policy declares, not Tandem's code: a document's owner (issue 12, "A
generic gateway").

The policy folder here is the default one with one more row in ``relations.csv``,
``owner, subject, Document, owner.id``, and ``Document.latestVersion`` granted to employees
only as ``employee@owner``. ``tandem serve --policy`` over the end-to-end stack's OA and ERP
(real processes) must then show a document's content to its owner and to nobody else: a
document shared with me comes back with ``latestVersion`` null and ``FORBIDDEN`` at its path,
mine with it.
Nothing in ``gateway/`` names ``Document`` or ``owner`` for this.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.personas import person
from tests.e2e.stack import Gateway, Service, Stack, service_env, tandem_command
from tests.support.processes import REPO_ROOT, free_port

OWNER_ROW = "owner, subject, Document, owner.id\n"
EVERYONES = "p, employee, *, Document.*, read, allow\n"
DOCUMENT_FIELDS = (
    "id title folder createdAt updatedAt owner tags versions sharedWith shares myAccess"
)
ME, COLLEAGUE = "emp-031", "emp-030"  # both in Production, both plain employees here
CREATE = "mutation($input: CreateDocumentInput!) { createDocument(input: $input) { id } }"
SHARE = """mutation($id: ID!, $with: [ID!]!) {
    shareDocument(documentId: $id, employeeIds: $with) { id } }"""
DOCUMENTS = """{ documents(first: 100) {
    edges { node { id title owner { id } latestVersion { text } } } } }"""


def _policy_with_an_owner_relation(folder: Path) -> Path:
    shutil.copytree(REPO_ROOT / "policies", folder, ignore=shutil.ignore_patterns("tests"))
    with (folder / "relations.csv").open("a", encoding="utf-8") as relations:
        relations.write(OWNER_ROW)
    policy = (folder / "policy.csv").read_text(encoding="utf-8")
    assert policy.count(EVERYONES) == 1
    rows = "".join(
        f"p, employee, *, Document.{name}, read, allow\n" for name in DOCUMENT_FIELDS.split()
    )
    rows += "p, employee@owner, *, Document.latestVersion, read, allow\n"
    (folder / "policy.csv").write_text(policy.replace(EVERYONES, rows), encoding="utf-8")
    return folder


def _answers(client: httpx.Client, base: str) -> bool:
    return client.post(f"{base}/graphql", json={"query": "{ __typename }"}).status_code == 200


@pytest.fixture(scope="module")
def gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """``tandem serve --policy <that folder>`` over the stack's OA and ERP (their keys and
    supergraph), believing the development identity headers."""
    policy = _policy_with_an_owner_relation(tmp_path_factory.mktemp("owner") / "policies")
    folder = stack.oa.logs
    port = free_port()
    service = Service(
        "gateway-owner-relation",
        [*tandem_command(), "serve", "--supergraph", str(folder / "supergraph.graphql"),
         "--port", str(port), "--policy", str(policy)],
        service_env(TANDEM_DATA_DIR=str(folder), TANDEM_DEV_IDENTITY="1"),
        port,
        folder,
        _answers,
    )  # fmt: skip
    service.start()
    client = Gateway(service.url, person)
    try:
        yield client
    finally:
        client.close()
        service.stop()


def _create(gateway: Gateway, who: str, title: str) -> str:
    data = gateway.data(who, CREATE, input={"title": title, "content": {"text": f"{title}."}})
    document: str = data["createDocument"]["id"]
    return document


def _by_id(body: dict[str, Any]) -> dict[str, tuple[int, dict[str, Any]]]:
    edges = body["data"]["documents"]["edges"]
    return {edge["node"]["id"]: (index, edge["node"]) for index, edge in enumerate(edges)}


def test_a_declared_relation_shows_the_owner_their_document_and_nobody_else(
    gateway: Gateway,
) -> None:
    tag = uuid.uuid4().hex[:8]
    mine = _create(gateway, ME, f"mine-{tag}")
    theirs = _create(gateway, COLLEAGUE, f"theirs-{tag}")
    gateway.data(COLLEAGUE, SHARE, id=theirs, **{"with": [ME]})

    body = gateway.post(ME, DOCUMENTS)
    found = _by_id(body)
    assert found[mine][1]["latestVersion"] == {"text": f"mine-{tag}."}
    index, shared = found[theirs]
    assert shared["title"] == f"theirs-{tag}" and shared["owner"] == {"id": COLLEAGUE}
    assert shared["latestVersion"] is None
    denied = [e for e in body.get("errors", []) if e["path"][-1] == "latestVersion"]
    assert [(e["path"], e["extensions"]["code"]) for e in denied] == [
        (["documents", "edges", index, "node", "latestVersion"], "FORBIDDEN")
    ]

    theirs_for_them = _by_id(gateway.post(COLLEAGUE, DOCUMENTS))[theirs][1]
    assert theirs_for_them["latestVersion"] == {"text": f"theirs-{tag}."}
