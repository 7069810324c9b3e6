"""Documents as files through the gateway (issue 16, item 7), OA and ERP as real processes,
on PostgreSQL (the session's stack) and on SQLite (a stack of this module's own).

GraphQL multipart uploads go through ``tandem serve`` to OA's ``uploadDocumentVersion``;
``downloadUrl`` is served by the gateway with OA deciding who may read; the refusals have
codes; a subgraph takes an upload only with a token for exactly its bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tandem_shared.keys import load_or_create_dev_key
from tandem_shared.tokens import Principal, get_binding, mint_subgraph_token, multipart_binding
from tests.e2e.fixtures import Databases, make_stack
from tests.e2e.personas import PEOPLE
from tests.e2e.stack import Service, Stack, service_env, tandem_command
from tests.support.processes import free_port

OWNER, READER, STRANGER = "emp-031", "emp-030", "emp-040"
PREFLIGHT = {"apollo-require-preflight": "true"}
UPLOAD = """mutation Up($id: ID!, $file: Upload!, $type: String) {
  uploadDocumentVersion(documentId: $id, file: $file, contentType: $type) {
    id number size sha256 contentType downloadUrl
  }
}"""


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def files_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """OA, ERP and the gateway: the session's stack on PostgreSQL, or one on SQLite files."""
    if request.param == "postgresql":
        yield request.getfixturevalue("stack")
        return
    folder = tmp_path_factory.mktemp("uploads-sqlite")
    databases = Databases(
        f"sqlite+aiosqlite:///{folder / 'oa.db'}", f"sqlite+aiosqlite:///{folder / 'erp.db'}"
    )
    running = make_stack(
        folder, databases, request.getfixturevalue("redis_url"),
        request.getfixturevalue("redis_prefix"),
    )  # fmt: skip
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60.0) as client:
        yield client


def _headers(who: str) -> dict[str, str]:
    person = PEOPLE[who]
    return {
        "x-tandem-dev-user": person.id,
        "x-tandem-dev-name": person.name,
        "x-tandem-dev-roles": ",".join(person.roles),
        "x-tandem-dev-department": person.department,
    }


def _graphql(http: httpx.Client, stack: Stack, who: str, query: str, **variables: Any) -> Any:
    response = http.post(
        stack.gateway.url, json={"query": query, "variables": variables}, headers=_headers(who)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def _document(http: httpx.Client, stack: Stack, shared_with: str | None = None) -> str:
    """A new document of :data:`OWNER`'s, shared to read with ``shared_with``."""
    data = _graphql(
        http, stack, OWNER, "mutation($t: String!) { createDocument(input: {title: $t}) { id } }",
        t=f"Scan {uuid.uuid4().hex[:6]}.pdf",
    )  # fmt: skip
    document_id: str = data["createDocument"]["id"]
    if shared_with is not None:
        _graphql(
            http, stack, OWNER,
            "mutation($d: ID!, $e: [ID!]!) { shareDocument(documentId: $d, employeeIds: $e, "
            "permission: READ) { id } }",
            d=document_id, e=[shared_with],
        )  # fmt: skip
    return document_id


def _upload(
    http: httpx.Client,
    url: str,
    who: str,
    document_id: str,
    content: bytes,
    *,
    headers: dict[str, str] | None = None,
    media_type: str = "application/pdf",
) -> httpx.Response:
    operations = {"query": UPLOAD, "variables": {"id": document_id, "file": None}}
    return http.post(
        url,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("scan.pdf", content, media_type)},
        headers={**_headers(who), **(PREFLIGHT if headers is None else headers)},
    )


def test_an_uploaded_file_downloads_as_it_was_to_those_who_may_read_it(
    files_stack: Stack, http: httpx.Client
) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)  # several chunks, not a multiple of one
    document_id = _document(http, files_stack, shared_with=READER)

    response = _upload(http, files_stack.gateway.url, OWNER, document_id, content)

    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    version = body["data"]["uploadDocumentVersion"]
    assert version["number"] == 1
    assert version["size"] == len(content)
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    assert version["contentType"] == "application/pdf"
    assert version["downloadUrl"] == f"/files/oa/{version['id']}"
    for who in (OWNER, READER):
        download = http.get(
            files_stack.gateway.base_url + version["downloadUrl"], headers=_headers(who)
        )
        assert download.status_code == 200, download.text
        assert download.content == content
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-length"] == str(len(content))
        assert download.headers["content-disposition"].startswith("attachment; filename*=")
        assert download.headers["cache-control"] == "private, no-store"


def test_small_uploaded_text_reads_through_graphql_too(
    files_stack: Stack, http: httpx.Client
) -> None:
    document_id = _document(http, files_stack)
    response = _upload(
        http, files_stack.gateway.url, OWNER, document_id, "Grüße\n".encode(),
        media_type="text/plain; charset=utf-8",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    data = _graphql(
        http, files_stack, OWNER, "query($id: ID!) { document(id: $id) { latestVersion "
        "{ text contentType } } }", id=document_id,
    )  # fmt: skip
    assert data["document"]["latestVersion"] == {
        "text": "Grüße\n",
        "contentType": "text/plain; charset=utf-8",
    }


def test_a_file_the_caller_may_not_read_is_as_missing_as_one_that_never_was(
    files_stack: Stack, http: httpx.Client
) -> None:
    document_id = _document(http, files_stack)
    response = _upload(http, files_stack.gateway.url, OWNER, document_id, b"private")
    url = (
        files_stack.gateway.base_url
        + response.json()["data"]["uploadDocumentVersion"]["downloadUrl"]
    )

    forbidden = http.get(url, headers=_headers(STRANGER))
    unknown = http.get(url.rsplit("/", 1)[0] + "/" + uuid.uuid4().hex, headers=_headers(OWNER))
    anonymous = http.get(url)
    other_subgraph = http.get(url.replace("/files/oa/", "/files/nowhere/"), headers=_headers(OWNER))

    for refused in (forbidden, unknown, anonymous, other_subgraph):
        assert refused.status_code == 404
        assert refused.json() == {
            "errors": [{"message": "no such file", "extensions": {"code": "NOT_FOUND"}}]
        }


def test_a_reader_may_not_upload_a_version(files_stack: Stack, http: httpx.Client) -> None:
    document_id = _document(http, files_stack, shared_with=READER)
    response = _upload(http, files_stack.gateway.url, READER, document_id, b"not mine")
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    versions = _graphql(
        http, files_stack, OWNER, "query($id: ID!) { document(id: $id) { versions { id } } }",
        id=document_id,
    )  # fmt: skip
    assert versions["document"]["versions"] == []


def test_an_upload_without_a_preflight_header_is_refused(
    files_stack: Stack, http: httpx.Client
) -> None:
    document_id = _document(http, files_stack)
    response = _upload(http, files_stack.gateway.url, OWNER, document_id, b"x", headers={})
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_REJECTED"


def test_an_anonymous_upload_is_refused_before_it_is_read(
    files_stack: Stack, http: httpx.Client
) -> None:
    operations = {"query": UPLOAD, "variables": {"id": "doc-1", "file": None}}
    response = http.post(
        files_stack.gateway.url,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("scan.pdf", b"anyone", "application/pdf")},
        headers=PREFLIGHT,
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "query",
    [
        "query($id: ID!) { document(id: $id) { id } }",
        "mutation($id: String!) { createDocument(input: {title: $id}) { id } }",
    ],
)
def test_files_go_only_into_upload_variables_of_a_mutation(
    files_stack: Stack, http: httpx.Client, query: str
) -> None:
    operations = {"query": query, "variables": {"id": None}}
    response = http.post(
        files_stack.gateway.url,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.id"]})},
        files={"0": ("a.txt", b"a", "text/plain")},
        headers={**_headers(OWNER), **PREFLIGHT, "accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UPLOAD_NOT_FORWARDABLE"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"operations": "{", "map": "{}"}, "operations is not valid JSON"),
        ({"operations": '{"query": "{ me { id } }", "variables": {}}', "map": '{"1": '
          '["variables.file"]}'}, "map must name every file part, and only those"),
        ({"operations": '[{"query": "{ me { id } }"}]', "map": "{}"}, "not a batch"),
    ],
)  # fmt: skip
def test_malformed_upload_requests_are_bad_requests(
    files_stack: Stack, http: httpx.Client, form: dict[str, str], message: str
) -> None:
    response = http.post(
        files_stack.gateway.url,
        data=form,
        files={"0": ("a.txt", b"a", "text/plain")},
        headers={**_headers(OWNER), **PREFLIGHT},
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]


def test_an_upload_over_the_limit_is_refused_while_it_streams(
    files_stack: Stack, http: httpx.Client, tmp_path: Path
) -> None:
    port = free_port()
    gateway = Service(
        "gateway-small-uploads",
        [*tandem_command(), "serve", "--supergraph",
         str(files_stack.oa.logs / "supergraph.graphql"), "--port", str(port)],
        service_env(TANDEM_DATA_DIR=str(files_stack.oa.logs), TANDEM_DEV_IDENTITY="1",
                    TANDEM_UPLOAD_MAX_BYTES="100000"),
        port, tmp_path, lambda client, base: client.get(f"{base}/health").status_code == 200,
    )  # fmt: skip
    document_id = _document(http, files_stack)
    gateway.start()
    try:
        too_large = _upload(http, gateway.url, OWNER, document_id, os.urandom(2_000_000))
        fits = _upload(http, gateway.url, OWNER, document_id, os.urandom(90_000))
    finally:
        gateway.stop()
    assert too_large.status_code == 413
    assert too_large.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert fits.status_code == 200
    assert fits.json()["data"]["uploadDocumentVersion"]["number"] == 1


# -- the subgraph takes only the upload a token was signed for ---------------------------


def _token(stack: Stack, who: str, binding: bytes) -> str:
    key = load_or_create_dev_key(stack.oa.logs / "dev-gateway-key.pem")
    person = PEOPLE[who]
    principal = Principal(person.id, person.name, person.roles, person.department)
    return mint_subgraph_token(key, "oa", principal, body=binding)


def _multipart(document_id: str, content: bytes) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST", "http://oa/graphql",
        data={"operations": json.dumps({"query": UPLOAD, "variables": {"id": document_id,
              "file": None}}), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("scan.pdf", content, "application/pdf")},
    )  # fmt: skip
    return request.read(), request.headers["content-type"]


def test_a_token_for_one_upload_authorizes_no_other(files_stack: Stack, http: httpx.Client) -> None:
    document_id = _document(http, files_stack)
    signed, content_type = _multipart(document_id, b"the file the gateway signed for")
    other, other_type = _multipart(document_id, b"a file an attacker put in its place")
    token = _token(files_stack, OWNER, multipart_binding(hashlib.sha256(signed).hexdigest()))
    oa = files_stack.oa.url

    swapped = http.post(oa, content=other, headers={"authorization": f"Bearer {token}",
                                                    "content-type": other_type})  # fmt: skip
    fresh = _token(files_stack, OWNER, multipart_binding(hashlib.sha256(signed).hexdigest()))
    taken = http.post(oa, content=signed, headers={"authorization": f"Bearer {fresh}",
                                                   "content-type": content_type})  # fmt: skip
    replayed = http.post(oa, content=signed, headers={"authorization": f"Bearer {fresh}",
                                                      "content-type": content_type})  # fmt: skip

    assert swapped.status_code == 401
    assert swapped.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert taken.status_code == 200, taken.text
    assert taken.json()["data"]["uploadDocumentVersion"]["number"] == 1
    assert replayed.status_code == 401
    versions = _graphql(
        http, files_stack, OWNER, "query($id: ID!) { document(id: $id) { versions { size } } }",
        id=document_id,
    )  # fmt: skip
    assert versions["document"]["versions"] == [{"size": len(b"the file the gateway signed for")}]


def test_a_download_token_opens_only_its_own_path(files_stack: Stack, http: httpx.Client) -> None:
    document_id = _document(http, files_stack)
    response = _upload(http, files_stack.gateway.url, OWNER, document_id, b"mine")
    version_id = response.json()["data"]["uploadDocumentVersion"]["id"]
    other = _upload(http, files_stack.gateway.url, OWNER, _document(http, files_stack), b"other")
    other_id = other.json()["data"]["uploadDocumentVersion"]["id"]
    token = _token(files_stack, OWNER, get_binding(f"/files/{version_id}"))
    base = files_stack.oa.base_url

    elsewhere = http.get(f"{base}/files/{other_id}", headers={"authorization": f"Bearer {token}"})
    own = http.get(f"{base}/files/{version_id}", headers={"authorization": f"Bearer {token}"})

    assert elsewhere.status_code == 401
    assert own.status_code == 200
    assert own.content == b"mine"
