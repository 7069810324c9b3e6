"""The gateway's side of a multipart upload, in-process: reading the client's request
(``gateway/uploads/receive.py``) and writing the subgraph's (``gateway/uploads/forward.py``).

The requests are what httpx sends for ``files=``; the written body is parsed back with
Starlette's parser, so both directions are checked against a real multipart implementation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartParser
from starlette.requests import Request
from starlette.types import Message

from gateway.errors import RequestError
from gateway.uploads.forward import MultipartBody
from gateway.uploads.receive import read_upload_request

pytestmark = pytest.mark.anyio


def request_of(
    operations: Any, paths: Any, files: Mapping[str, bytes], *, declare_length: bool = True
) -> Request:
    """A Starlette request carrying what httpx would send, in 1000-byte messages."""
    sent = httpx.Request(
        "POST",
        "http://gateway/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(paths)},
        files={key: (f"{key}.bin", content, "application/pdf") for key, content in files.items()},
    )
    body = sent.read()
    headers = [(k.lower().encode(), v.encode()) for k, v in sent.headers.items()]
    if not declare_length:
        headers = [(k, v) for k, v in headers if k != b"content-length"]
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]

    async def receive() -> Message:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


async def test_files_take_their_places_in_the_variables_nested_or_listed() -> None:
    operations = {
        "query": "mutation($input: In!, $files: [Upload!]!) { up(input: $input, files: $files) }",
        "variables": {"input": {"cover": None}, "files": [None, None]},
    }
    paths = {"0": ["variables.input.cover"], "1": ["variables.files.0", "variables.files.1"]}
    upload = await read_upload_request(
        request_of(operations, paths, {"0": b"cover", "1": b"both"}), 10_000
    )
    try:
        assert upload.operation["variables"] == {
            "input": {"cover": "upload:0"},
            "files": ["upload:1", "upload:1"],
        }
        assert upload.variables == {"input", "files"}
        assert [(f.key, f.filename, f.content_type) for f in upload.files] == [
            ("0", "0.bin", "application/pdf"),
            ("1", "1.bin", "application/pdf"),
        ]
        assert await upload.files[1].upload.read() == b"both"
    finally:
        await upload.close()


@pytest.mark.parametrize(
    ("variables", "paths", "message"),
    [
        ({"file": "not null"}, {"0": ["variables.file"]}, "must be null"),
        ({"file": None}, {"0": ["query"]}, "a file goes into variables"),
        ({"file": None}, {"0": ["variables.other.deep"]}, "not a place in the variables"),
        ({"file": None}, {"0": "variables.file"}, "must be a list of paths"),
    ],
)
async def test_a_map_that_does_not_fit_the_operation_is_a_bad_request(
    variables: dict[str, Any], paths: dict[str, Any], message: str
) -> None:
    operations = {"query": "mutation($file: Upload!) { up(file: $file) }", "variables": variables}
    with pytest.raises(RequestError) as refused:
        await read_upload_request(request_of(operations, paths, {"0": b"x"}), 10_000)
    assert (refused.value.code, refused.value.status) == ("BAD_REQUEST", 400)
    assert message in refused.value.message


@pytest.mark.parametrize("declare_length", [True, False])
async def test_a_body_over_the_limit_is_refused_declared_or_streamed(declare_length: bool) -> None:
    operations = {"query": "mutation($file: Upload!) { up(file: $file) }",
                  "variables": {"file": None}}  # fmt: skip
    big = request_of(operations, {"0": ["variables.file"]}, {"0": b"z" * 1_100_000},
                     declare_length=declare_length)  # fmt: skip
    with pytest.raises(RequestError) as refused:
        await read_upload_request(big, 10)  # 10 bytes of files, and 1 MiB for the rest
    assert (refused.value.code, refused.value.status) == ("PAYLOAD_TOO_LARGE", 413)


async def test_the_forwarded_body_is_a_multipart_request_with_the_same_files() -> None:
    operations = {"query": "mutation($file: Upload!) { up(file: $file) }",
                  "variables": {"file": None}}  # fmt: skip
    content = bytes(range(256)) * 8000  # 2 MB: spooled past memory, sent in chunks
    upload = await read_upload_request(
        request_of(operations, {"0": ["variables.file"]}, {"0": content}), 10_000_000
    )
    try:
        subgraph_operations = b'{"query":"mutation($file:Upload!){up(file:$file)}"}'
        body = MultipartBody.of(subgraph_operations, upload)
        sent = b"".join([chunk async for chunk in body.chunks()])
        assert len(sent) == body.length
        assert await body.sha256() == hashlib.sha256(sent).hexdigest()
        form = await _parsed(sent, body.content_type)
        assert form["operations"] == subgraph_operations.decode()
        assert json.loads(form["map"]) == {"0": ["variables.file"]}
        file = form["0"]
        assert isinstance(file, UploadFile)
        assert (file.filename, file.content_type) == ("0.bin", "application/pdf")
        assert await file.read() == content
        await file.close()
    finally:
        await upload.close()


async def _parsed(body: bytes, content_type: str) -> Mapping[str, Any]:
    async def stream() -> Any:
        yield body

    parser = MultiPartParser(Headers({"content-type": content_type}), stream())
    return await parser.parse()
