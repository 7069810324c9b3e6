"""Multipart uploads reaching a subgraph: spooled to disk while hashed, then replayed.

The gateway forwards a GraphQL multipart request (github.com/jaydenseric/graphql-multipart-
request-spec) with an identity token whose ``bh`` binds every byte of the body
(``tandem_shared/tokens.py``). The body cannot be held in memory to hash it, as a JSON body
is, so :class:`~subgraphs.common.identity.GatewayIdentityMiddleware` checks the token's
claims first (no unsigned request makes a subgraph write a byte), then :func:`spool` writes
the body to a file under the subgraph's upload folder, hashing as it goes and stopping at
the size limit; only a body whose hash matches is replayed (:class:`ReplayedBody`) to the app,
where strawberry parses the parts (Starlette spools each file again past 1 MB).
:func:`first_field` reads the ``operations`` part off the spooled body for the coarse policy
check, without reading the files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import Message, Receive

__all__ = [
    "DEFAULT_UPLOAD_MAX_BYTES",
    "ReplayedBody",
    "Spooled",
    "UploadLimits",
    "first_field",
    "is_multipart",
    "spool",
]

DEFAULT_UPLOAD_MAX_BYTES: Final = 100 * 1024 * 1024
CHUNK: Final = 256 * 1024
_MULTIPART_OVERHEAD: Final = 1024 * 1024
"""Room for the operation, its map and the part headers beside the files' own bytes."""


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Where a subgraph spools uploads, and the largest file it takes."""

    folder: Path
    max_bytes: int = DEFAULT_UPLOAD_MAX_BYTES

    @property
    def max_body_bytes(self) -> int:
        return self.max_bytes + _MULTIPART_OVERHEAD


@dataclass(frozen=True, slots=True)
class Spooled:
    """A request body on disk: where, its SHA-256 (hex) and its size."""

    path: Path
    sha256: str
    size: int

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "multipart/form-data"


async def spool(receive: Receive, limits: UploadLimits) -> Spooled | None:
    """The request body written to a new file under ``limits.folder``, hashed as it came;
    None (the file removed) if it passed the limit or the client went away."""
    limits.folder.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix="upload-", dir=limits.folder)
    path = Path(name)
    digest = hashlib.sha256()
    size = 0
    complete = False
    try:
        with os.fdopen(descriptor, "wb") as file:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limits.max_body_bytes:
                    return None
                digest.update(chunk)
                file.write(chunk)
                if not message.get("more_body", False):
                    break
        complete = True
        return Spooled(path, digest.hexdigest(), size)
    finally:
        if not complete:
            path.unlink(missing_ok=True)


def first_field(path: Path, content_type: str, name: str, limit: int = 1024 * 1024) -> bytes | None:
    """The value of the form field ``name`` in the multipart body at ``path``, if it comes
    before any file (the spec puts ``operations`` first) and within ``limit`` bytes."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return None
    part = _FirstPart(name.encode(), limit)
    callbacks: dict[str, Callable[..., None]] = {
        "on_part_begin": part.begin,
        "on_header_field": part.header_field,
        "on_header_value": part.header_value,
        "on_header_end": part.header_end,
        "on_part_data": part.data,
        "on_part_end": part.end,
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    with path.open("rb") as file:
        while not part.done and (chunk := file.read(64 * 1024)):
            parser.write(chunk)
    return part.found


class _FirstPart:
    """python-multipart callbacks keeping the first part's value if it is field ``name``."""

    def __init__(self, name: bytes, limit: int) -> None:
        self.name, self.limit = name, limit
        self.header, self.value, self.disposition = b"", b"", b""
        self.content = bytearray()
        self.done = False
        self.found: bytes | None = None

    def begin(self) -> None:
        self.content.clear()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def header_end(self) -> None:
        if self.header.lower() == b"content-disposition":
            self.disposition = self.value
        self.header, self.value = b"", b""

    def data(self, data: bytes, start: int, end: int) -> None:
        if self.done:  # the rest of the chunk being parsed
            return
        self.content.extend(data[start:end])
        if len(self.content) > self.limit:
            self.done = True

    def end(self) -> None:
        if self.done:
            return
        _, params = parse_options_header(self.disposition)
        if params.get(b"name") == self.name and b"filename" not in params:
            self.found = bytes(self.content)
        self.done = True  # only the first part is looked at


class ReplayedBody:
    """A ``receive`` that yields the spooled body in chunks, then defers to the real one
    (whose next message is the client's disconnect); :meth:`close` when the app is done."""

    def __init__(self, spooled: Spooled, receive: Receive) -> None:
        self.file = spooled.path.open("rb")
        self.receive = receive
        self.done = False

    async def __call__(self) -> Message:
        if self.done:
            return await self.receive()
        chunk = self.file.read(CHUNK)
        more = len(chunk) == CHUNK
        if not more:
            self.done = True
            self.file.close()
        return {"type": "http.request", "body": chunk, "more_body": more}

    def close(self) -> None:
        self.file.close()
