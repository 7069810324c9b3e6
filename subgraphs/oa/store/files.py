"""Document files on disk, content-addressed: ``<folder>/sha256/aa/bb/<hex digest>``.

A file is streamed in (never held whole: chunks are hashed and written to a temporary file
in the same folder, then renamed into place, so a reader never sees half a file) and found
again by its SHA-256, which is also its storage key in the database (``DocumentVersion``'s
``sha256``). Equal contents are kept once. Files are not deleted: versions are never removed.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

__all__ = ["FileStore", "Readable", "Stored", "TooLarge"]

CHUNK: Final = 1024 * 1024
_KEY = re.compile(r"^[0-9a-f]{64}$")


class Readable(Protocol):
    """What an upload offers (Starlette's ``UploadFile``): reads of at most ``size`` bytes."""

    async def read(self, size: int = -1) -> bytes: ...


class TooLarge(Exception):
    """The file is larger than the store's limit (nothing was kept)."""


@dataclass(frozen=True, slots=True)
class Stored:
    """A file in the store: its key (the SHA-256, lower-case hex) and size in bytes."""

    sha256: str
    size: int


class FileStore:
    """The files of one subgraph, under ``folder``; none larger than ``max_bytes``."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        """Where the file with this key is (or would be)."""
        if not _KEY.match(sha256):
            raise ValueError("not a SHA-256 key")
        return self.folder / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    async def put(self, source: Readable) -> Stored:
        """Stream ``source`` into the store; :class:`TooLarge` past ``max_bytes``."""
        incoming = self.folder / "incoming"
        await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=incoming)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(descriptor, "wb") as file:
                while chunk := await source.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TooLarge(f"larger than {self.max_bytes} bytes")
                    digest.update(chunk)
                    await asyncio.to_thread(file.write, chunk)
            stored = Stored(digest.hexdigest(), size)
            target = self.path(stored.sha256)
            await asyncio.to_thread(_place, Path(name), target)
            return stored
        finally:
            Path(name).unlink(missing_ok=True)


def _place(written: Path, target: Path) -> None:
    """Move a written file to its key's place (an equal file there already is kept)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.replace(written, target)
