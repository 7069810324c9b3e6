"""Reading a GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec).

The body is ``operations`` (the GraphQL request as JSON, each file's place in ``variables``
holding ``null``), ``map`` (``{"0": ["variables.file"], ...}``), then the files, one part
each. Starlette's multipart parser (python-multipart) reads it as it streams in: fields are
held (at most 1 MB each), files are spooled to temporary files (in memory up to 1 MB, on
disk beyond), so a 100 MB file costs the gateway about 1 MB of memory. The body is counted
as it arrives and reading stops at ``upload_max_bytes`` (plus room for the operation):

- 413 ``PAYLOAD_TOO_LARGE``: over the limit, declared or streamed;
- 400 ``BAD_REQUEST``: not a multipart body, ``operations`` or ``map`` missing or not JSON,
  a path of ``map`` that is not ``variables.<name>...``, a file part that ``map`` does not
  name or a ``map`` entry without its file, a batch (a list in ``operations``: one
  operation per upload request).

Each file's place in the variables is given a placeholder (``"upload:<key>"``) so that an
``Upload!`` variable validates; the executor forwards the files themselves
(``forward.py``). :meth:`UploadRequest.close` removes the temporary files.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from ..errors import RequestError

__all__ = [
    "DEFAULT_UPLOAD_MAX_BYTES",
    "MAX_FILES",
    "UploadRequest",
    "UploadedFile",
    "is_multipart",
    "read_upload_request",
]

DEFAULT_UPLOAD_MAX_BYTES: Final = 100 * 1024 * 1024
MAX_FILES: Final = 10
_OVERHEAD: Final = 1024 * 1024
"""Room for ``operations``, ``map`` and the part headers beside the files' bytes."""
PLACEHOLDER: Final = "upload:"


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file part: its key in ``map``, the client's file name and media type, the
    spooled content, and the variable paths it fills."""

    key: str
    filename: str
    content_type: str
    upload: UploadFile
    paths: tuple[tuple[str, ...], ...]

    @property
    def variables(self) -> frozenset[str]:
        """The top-level variables the file goes into."""
        return frozenset(path[0] for path in self.paths)


@dataclass
class UploadRequest:
    """A parsed multipart request: the operation (placeholders in place) and its files."""

    operation: dict[str, Any]
    files: list[UploadedFile] = field(default_factory=list)

    @property
    def variables(self) -> frozenset[str]:
        return frozenset().union(*(file.variables for file in self.files))

    async def close(self) -> None:
        for file in self.files:
            await file.upload.close()


def is_multipart(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "multipart/form-data"


async def read_upload_request(request: Request, max_upload_bytes: int) -> UploadRequest:
    """The multipart request's operation and files, or a coded :class:`RequestError`
    (module docstring)."""
    limit = max_upload_bytes + _OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(max_upload_bytes)
    parser = MultiPartParser(
        request.headers, _counted(request, limit, max_upload_bytes), max_files=MAX_FILES,
        max_fields=2,
    )  # fmt: skip
    try:
        form = await parser.parse()  # closes what it spooled if anything fails
    except MultiPartException as error:
        raise RequestError(f"not a valid multipart body: {error.message}") from None
    files = [value for value in form.values() if isinstance(value, UploadFile)]
    try:
        return _upload_request(form, files)
    except BaseException:
        for upload in files:
            await upload.close()
        raise


def _upload_request(form: Mapping[str, Any], uploads: list[UploadFile]) -> UploadRequest:
    operation = _json_field(form, "operations")
    if isinstance(operation, list):
        raise RequestError("an upload request carries one operation, not a batch")
    if not isinstance(operation, dict):
        raise RequestError("operations must be a JSON object")
    paths = _json_field(form, "map")
    if not isinstance(paths, dict):
        raise RequestError("map must be a JSON object")
    named = {key for key, value in form.items() if isinstance(value, UploadFile)}
    if named != set(paths):
        raise RequestError("map must name every file part, and only those")
    variables = operation.get("variables")
    if not isinstance(variables, dict):
        raise RequestError("operations.variables must hold the files' places")
    files = []
    for key, targets in paths.items():
        if not isinstance(targets, list) or not targets:
            raise RequestError(f"map.{key} must be a list of paths")
        split = tuple(_variable_path(key, target) for target in targets)
        for path in split:
            _place(variables, path, PLACEHOLDER + key)
        upload = form[key]
        files.append(
            UploadedFile(key, upload.filename or key, upload.content_type or "", upload, split)
        )
    return UploadRequest(operation, files)


def _variable_path(key: str, target: Any) -> tuple[str, ...]:
    if not isinstance(target, str) or not target.startswith("variables."):
        raise RequestError(f"map.{key}: a file goes into variables (variables.<name>...)")
    return tuple(target.split(".")[1:])


def _place(variables: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    """Put ``value`` where ``path`` points (the client put null there)."""
    container: Any = variables
    for step in path[:-1]:
        container = container[int(step)] if isinstance(container, list) else container.get(step)
        if not isinstance(container, dict | list):
            raise RequestError(f"variables.{'.'.join(path)} is not a place in the variables")
    last = path[-1]
    try:
        if isinstance(container, list):
            if container[int(last)] is not None:
                raise ValueError
            container[int(last)] = value
        else:
            if container.get(last) is not None:
                raise ValueError
            container[last] = value
    except (ValueError, IndexError):
        raise RequestError(
            f"variables.{'.'.join(path)} must be null in operations (the file takes its place)"
        ) from None


def _json_field(form: Mapping[str, Any], name: str) -> Any:
    value = form.get(name)
    if not isinstance(value, str):
        raise RequestError(f"the multipart request has no {name} field")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise RequestError(f"{name} is not valid JSON") from None


async def _counted(
    request: Request, limit: int, max_upload_bytes: int
) -> AsyncGenerator[bytes, None]:
    """The body as it arrives, refused as soon as it passes ``limit``."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(max_upload_bytes)
        yield chunk


def _too_large(max_upload_bytes: int) -> RequestError:
    return RequestError(
        f"upload too large: at most {max_upload_bytes} bytes",
        code="PAYLOAD_TOO_LARGE",
        status=413,
    )
