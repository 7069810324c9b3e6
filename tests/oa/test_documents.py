"""Documents: versions (size, SHA-256, numbering under concurrency), sharing, visibility."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import pytest

from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, CAROL

pytestmark = pytest.mark.anyio

CREATE = """
mutation ($input: CreateDocumentInput!) {
  createDocument(input: $input) {
    id title folder tags myAccess owner { id }
    latestVersion { number size sha256 contentType text author { id } }
  }
}
"""
ADD = """
mutation ($id: ID!, $content: DocumentContentInput!) {
  addDocumentVersion(documentId: $id, content: $content) { number size sha256 contentBase64 text }
}
"""
SHARE = """
mutation ($id: ID!, $to: [ID!]!, $permission: SharePermission) {
  shareDocument(documentId: $id, employeeIds: $to, permission: $permission) {
    sharedWith { id } shares { employee { id } permission }
  }
}
"""
LIST = """
query ($search: String, $folder: String, $tag: String, $first: Int, $after: String) {
  documents(search: $search, folder: $folder, tag: $tag, first: $first, after: $after) {
    edges { node { title myAccess } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def create(oa: OAClient, who: Any, title: str, **fields: Any) -> dict[str, Any]:
    data = await oa.data(who, CREATE, input={"title": title, **fields})
    document: dict[str, Any] = data["createDocument"]
    return document


async def titles(oa: OAClient, who: Any, **variables: Any) -> list[str]:
    data = await oa.data(who, LIST, **variables)
    return [edge["node"]["title"] for edge in data["documents"]["edges"]]


async def test_versions_carry_size_hash_and_numbers(oa: OAClient) -> None:
    document = await create(
        oa, ALICE, "Design", folder="/eng/specs", tags=["spec", "v1", "spec"],
        content={"text": "héllo"},
    )  # fmt: skip
    binary = bytes(range(256))
    second = await oa.data(
        ALICE, ADD, id=document["id"],
        content={"base64": base64.b64encode(binary).decode(), "contentType": "image/png"},
    )  # fmt: skip

    assert document["folder"] == "/eng/specs"
    assert document["tags"] == ["spec", "v1"]
    assert document["myAccess"] == "OWNER"
    assert document["latestVersion"] == {
        "number": 1,
        "size": 6,
        "sha256": hashlib.sha256("héllo".encode()).hexdigest(),
        "contentType": "text/plain; charset=utf-8",
        "text": "héllo",
        "author": {"id": "emp-alice"},
    }
    assert second["addDocumentVersion"] == {
        "number": 2,
        "size": 256,
        "sha256": hashlib.sha256(binary).hexdigest(),
        "contentBase64": base64.b64encode(binary).decode(),
        "text": None,
    }


async def test_concurrent_versions_get_distinct_numbers(oa: OAClient) -> None:
    document = await create(oa, ALICE, "Log")

    added = await asyncio.gather(
        *(oa.data(ALICE, ADD, id=document["id"], content={"text": f"v{n}"}) for n in range(6))
    )

    assert sorted(a["addDocumentVersion"]["number"] for a in added) == [1, 2, 3, 4, 5, 6]
    versions = await oa.data(
        ALICE, "query ($id: ID!) { document(id: $id) { versions { number } } }", id=document["id"]
    )
    assert [v["number"] for v in versions["document"]["versions"]] == [1, 2, 3, 4, 5, 6]


async def test_sharing_decides_who_sees_and_who_edits(oa: OAClient) -> None:
    document = await create(oa, ALICE, "Budget plan", content={"text": "draft"})
    shared = await oa.data(ALICE, SHARE, id=document["id"], to=["emp-carol", "emp-bob"])

    assert shared["shareDocument"]["sharedWith"] == [{"id": "emp-bob"}, {"id": "emp-carol"}]
    assert await titles(oa, BOB) == ["Budget plan"]
    bob_edits = await oa.error(BOB, ADD, id=document["id"], content={"text": "mine"})
    assert bob_edits["code"] == "FORBIDDEN"
    bob_shares = await oa.error(BOB, SHARE, id=document["id"], to=["emp-carol"])
    assert bob_shares["code"] == "FORBIDDEN"

    await oa.data(ALICE, SHARE, id=document["id"], to=["emp-bob"], permission="EDIT")
    edited = await oa.data(BOB, ADD, id=document["id"], content={"text": "reviewed"})
    assert edited["addDocumentVersion"]["number"] == 2
    listed = await oa.data(BOB, LIST)
    assert listed["documents"]["edges"][0]["node"]["myAccess"] == "EDIT"

    unshare = (
        'mutation ($id: ID!) { unshareDocument(documentId: $id, employeeIds: ["emp-bob"]) { id } }'
    )
    await oa.data(ALICE, unshare, id=document["id"])
    assert await titles(oa, BOB) == []
    assert await titles(oa, CAROL) == ["Budget plan"]


async def test_a_document_not_shared_with_me_does_not_exist_for_me(oa: OAClient) -> None:
    document = await create(oa, ALICE, "Secret")

    read = await oa.error(BOB, "query ($id: ID!) { document(id: $id) { id } }", id=document["id"])
    write = await oa.error(BOB, ADD, id=document["id"], content={"text": "x"})
    share = await oa.error(BOB, SHARE, id=document["id"], to=["emp-bob"])

    assert read["code"] == write["code"] == share["code"] == "NOT_FOUND"
    assert await titles(oa, BOB) == []


async def test_search_folder_tag_and_pages(oa: OAClient) -> None:
    await create(oa, ALICE, "Contract Alpha", folder="/contracts", tags=["legal"])
    await create(oa, ALICE, "Contract Beta", folder="/contracts/2026", tags=["legal", "urgent"])
    await create(oa, ALICE, "Minutes", folder="/meetings", tags=["urgent"])

    first = await oa.data(ALICE, LIST, first=2)
    rest = await oa.data(ALICE, LIST, after=first["documents"]["pageInfo"]["endCursor"])

    assert [e["node"]["title"] for e in first["documents"]["edges"]] == [
        "Minutes",
        "Contract Beta",
    ]
    assert [e["node"]["title"] for e in rest["documents"]["edges"]] == ["Contract Alpha"]
    assert await titles(oa, ALICE, search="CONTRACT") == ["Contract Beta", "Contract Alpha"]
    assert await titles(oa, ALICE, folder="/contracts") == ["Contract Alpha"]
    assert await titles(oa, ALICE, tag="urgent") == ["Minutes", "Contract Beta"]
    assert await titles(oa, ALICE, search="contract", tag="urgent") == ["Contract Beta"]


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"title": ""}, "input.title"),
        ({"title": "t", "folder": "no-slash"}, "input.folder"),
        ({"title": "t", "folder": "/a//b"}, "input.folder"),
        ({"title": "t", "tags": ["ok", "a,b"]}, "input.tags.1"),
        ({"title": "t", "content": {}}, "input.content"),
        ({"title": "t", "content": {"text": "a", "base64": "YQ=="}}, "input.content"),
        ({"title": "t", "content": {"base64": "!!"}}, "input.content.base64"),
        (
            {"title": "t", "content": {"text": "a", "contentType": "nope"}},
            "input.content.contentType",
        ),
    ],
)
async def test_create_validates_its_input(oa: OAClient, input: dict[str, Any], field: str) -> None:
    error = await oa.error(ALICE, CREATE, input=input)

    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field)


async def test_share_validates_its_arguments(oa: OAClient) -> None:
    document = await create(oa, ALICE, "Plan")

    to_owner = await oa.error(ALICE, SHARE, id=document["id"], to=["emp-alice"])
    to_nobody = await oa.error(ALICE, SHARE, id=document["id"], to=[])
    to_ghost = await oa.error(ALICE, SHARE, id=document["id"], to=["emp-bob", "emp-ghost"])

    assert (to_owner["code"], to_owner["field"]) == ("BAD_USER_INPUT", "employeeIds.0")
    assert (to_nobody["code"], to_nobody["field"]) == ("BAD_USER_INPUT", "employeeIds")
    assert (to_ghost["code"], to_ghost["field"]) == ("NOT_FOUND", "employeeIds.1")
