"""A subgraph takes a multipart upload only with a token for all its bytes, spooling nothing
for an unsigned request and nothing past its limit (``subgraphs/common/uploads.py``).

In-process (``httpx.ASGITransport``): a subgraph whose mutation takes an ``Upload`` and
answers what it read, behind the identity guard with an upload folder of the test's own.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.file_uploads import Upload

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.schema import create_schema
from subgraphs.common.settings import SubgraphSettings
from subgraphs.common.uploads import UploadLimits, first_field
from tandem_shared.keys import generate_private_key, public_key_of
from tandem_shared.tokens import get_binding, mint_subgraph_token, multipart_binding
from tests.common.forge import ALICE

pytestmark = pytest.mark.anyio

PRIVATE = generate_private_key()
PUBLIC = public_key_of(PRIVATE)
MUTATION = "mutation($file: Upload!) { digest(file: $file) }"


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def digest(self, file: Upload) -> str:
        data = await file.read()  # type: ignore[attr-defined]
        await file.close()  # type: ignore[attr-defined]
        return f"{len(data)}:{hashlib.sha256(data).hexdigest()}"


SCHEMA = create_schema(query=Query, mutation=Mutation)


def client(folder: Path, max_bytes: int = 10_000) -> httpx.AsyncClient:
    app = create_subgraph_app(
        SCHEMA,
        "oa",
        settings=SubgraphSettings(name="oa"),
        public_key=PUBLIC,
        uploads=UploadLimits(folder, max_bytes),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oa")


def multipart(content: bytes) -> tuple[bytes, str]:
    operations = {"query": MUTATION, "variables": {"file": None}}
    request = httpx.Request(
        "POST",
        "http://oa/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("a.bin", content, "application/octet-stream")},
    )
    return request.read(), request.headers["content-type"]


def token(body: bytes) -> str:
    return mint_subgraph_token(
        PRIVATE, "oa", ALICE, body=multipart_binding(hashlib.sha256(body).hexdigest())
    )


async def send(http: httpx.AsyncClient, body: bytes, content_type: str, token: str) -> Any:
    return await http.post(
        "/graphql",
        content=body,
        headers={"authorization": f"Bearer {token}", "content-type": content_type},
    )


async def test_an_upload_with_a_token_for_its_bytes_reaches_the_resolver(tmp_path: Path) -> None:
    content = bytes(range(256)) * 20
    body, content_type = multipart(content)
    async with client(tmp_path) as http:
        response = await send(http, body, content_type, token(body))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": {"digest": f"{len(content)}:{hashlib.sha256(content).hexdigest()}"}
    }
    assert list(tmp_path.iterdir()) == []  # the spooled body is gone


async def test_a_token_for_other_bytes_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    body, content_type = multipart(b"what was signed")
    other, _ = multipart(b"what was sent instead")
    async with client(tmp_path) as http:
        response = await send(http, other, content_type, token(body))
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert list(tmp_path.iterdir()) == []


async def test_an_unsigned_upload_is_refused_before_a_byte_is_written(tmp_path: Path) -> None:
    body, content_type = multipart(b"x" * 100)
    forged = mint_subgraph_token(generate_private_key(), "oa", ALICE, body=b"")
    async with client(tmp_path) as http:
        response = await send(http, body, content_type, forged)
    assert response.status_code == 401
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


async def test_an_upload_past_the_limit_is_refused_and_its_spool_removed(tmp_path: Path) -> None:
    limits = UploadLimits(tmp_path, 10)  # the body may be larger by room for the parts
    big, big_type = multipart(b"z" * (limits.max_body_bytes + 1))
    async with client(tmp_path, max_bytes=10) as http:
        response = await send(http, big, big_type, token(big))
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert list(tmp_path.iterdir()) == []


async def test_a_get_token_opens_only_its_own_path(tmp_path: Path) -> None:
    async with client(tmp_path) as http:
        for_health = mint_subgraph_token(PRIVATE, "oa", ALICE, body=get_binding("/other"))
        response = await http.get("/graphql", headers={"authorization": f"Bearer {for_health}"})
    assert response.status_code == 401


async def test_the_operations_part_is_read_without_the_files(tmp_path: Path) -> None:
    body, content_type = multipart(b"f" * 100_000)
    path = tmp_path / "body"
    path.write_bytes(body)
    operations = first_field(path, content_type, "operations")
    assert operations is not None
    assert json.loads(operations)["query"] == MUTATION
    assert first_field(path, content_type, "map") is None  # only the first part is looked at
