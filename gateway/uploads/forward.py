"""Forwarding an upload to the subgraph that owns its mutation, and files back from it.

The subgraph request is a GraphQL multipart request again: ``operations`` is exactly the
JSON body the executor made for the fetch (``encode_payload``), ``map`` puts each file back
at its variable paths, then the files, streamed from the gateway's spooled copies in chunks.
The gateway writes the body itself, so it knows every byte before sending: it hashes them
(one read of the spooled files) and signs the identity token over
``multipart_binding(sha256)`` (``tandem_shared/tokens.py``); the subgraph hashes what it
receives and compares before anything reads it. A token copied off the wire thus authorizes
nothing but these very bytes, once, to this subgraph, for seconds.

Downloads (``downloads.py``) go through :meth:`FileTransport.download`: a ``GET`` with a
token bound to its path, its answer streamed back.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
import orjson

from tandem_shared.tokens import multipart_binding

from ..executor.transport import SubgraphError, SubgraphRequest, decode_response, read_answer
from .receive import UploadedFile, UploadRequest

__all__ = ["CHUNK", "FileTransport", "MultipartBody"]

CHUNK: Final = 1024 * 1024
_MEDIA_TYPE = re.compile(
    r"^[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*(;[ -~]{0,100})?$"
)  # printable ASCII only: it goes into a part header as it is
_MAX_ANSWER: Final = 1_000_000  # a mutation's JSON answer; files come by download


@dataclass(frozen=True, slots=True)
class MultipartBody:
    """The multipart body of one forwarded upload: byte strings and files, in order."""

    boundary: str
    pieces: tuple[bytes | UploadedFile, ...]

    @classmethod
    def of(cls, operations: bytes, upload: UploadRequest) -> MultipartBody:
        boundary = secrets.token_hex(16)
        paths = {
            file.key: [".".join(("variables", *path)) for path in file.paths]
            for file in upload.files
        }
        pieces: list[bytes | UploadedFile] = [
            _part(boundary, 'name="operations"', "application/json") + operations + b"\r\n",
            _part(boundary, 'name="map"', "application/json") + orjson.dumps(paths) + b"\r\n",
        ]
        for file in upload.files:
            media_type = file.content_type if _MEDIA_TYPE.match(file.content_type) else ""
            disposition = f'name="{file.key}"; filename="{_quoted(file.filename)}"'
            pieces += [_part(boundary, disposition, media_type or "application/octet-stream"),
                       file, b"\r\n"]  # fmt: skip
        pieces.append(f"--{boundary}--\r\n".encode())
        return cls(boundary, tuple(pieces))

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def length(self) -> int:
        return sum(
            piece.upload.size or 0 if isinstance(piece, UploadedFile) else len(piece)
            for piece in self.pieces
        )

    async def sha256(self) -> str:
        """The hex SHA-256 of the whole body (the files read once, off the event loop)."""
        digest = hashlib.sha256()
        async for chunk in self.chunks():
            if len(chunk) > 65536:
                await asyncio.to_thread(digest.update, chunk)
            else:
                digest.update(chunk)
        return digest.hexdigest()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body, a file at most :data:`CHUNK` bytes at a time."""
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            await piece.upload.seek(0)
            while chunk := await piece.upload.read(CHUNK):
                yield chunk


def _part(boundary: str, disposition: str, media_type: str) -> bytes:
    return (
        f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
        f"Content-Type: {media_type}\r\n\r\n"
    ).encode()


def _quoted(filename: str) -> str:
    """A file name safe inside a quoted header parameter (no quotes, backslashes, controls)."""
    cleaned = "".join(c for c in filename if c.isprintable() and c not in '"\\')
    return cleaned[:200] or "file"


class FileTransport:
    """The gateway's HTTP client for files: multipart uploads out, downloads in (one aiohttp
    session of its own, created on first use)."""

    def __init__(self, *, timeout: float = 300.0, ssl_context: ssl.SSLContext | None = None):
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    ssl=self.ssl_context if self.ssl_context is not None else True
                ),
                trust_env=False,
                auto_decompress=False,
            )
        return self._session

    async def upload(
        self,
        request: SubgraphRequest,
        upload: UploadRequest,
        authorization: Callable[[bytes], Mapping[str, str]],
    ) -> dict[str, Any]:
        """Send ``request`` (its JSON body as ``operations``) with ``upload``'s files;
        ``authorization(binding)`` gives the identity header for the body's binding."""
        name = request.service_name
        assert request.body is not None  # the executor encodes every fetch
        body = MultipartBody.of(request.body, upload)
        digest = await body.sha256()
        headers = {
            **(request.headers or {}),
            **authorization(multipart_binding(digest)),
            "content-type": body.content_type,
            "content-length": str(body.length),
            "accept": "application/graphql-response+json, application/json",
        }
        try:
            async with self.session().post(
                request.url, data=body.chunks(), headers=headers, timeout=self.timeout
            ) as response:
                content = await read_answer(response, name, _MAX_ANSWER)
                status = response.status
        except TimeoutError:
            raise SubgraphError(
                name, f"subgraph {name} did not take the upload in time", "SUBGRAPH_TIMEOUT"
            ) from None
        except aiohttp.ClientError as error:
            raise SubgraphError(
                name, f"subgraph {name} is unreachable ({type(error).__name__})"
            ) from None
        if status == 413:
            raise SubgraphError(name, f"subgraph {name} refused the upload's size",
                                "PAYLOAD_TOO_LARGE")  # fmt: skip
        return decode_response(name, status, content)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
