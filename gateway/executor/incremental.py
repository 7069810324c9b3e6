"""The incremental response of an operation with ``@defer``: what each part holds.

The format is the one Apollo clients read (``multipart/mixed;deferSpec=20220824``, the
incremental delivery RFC as of 2022-08-24): a first result ``{data, errors?, hasNext: true}``
without the deferred fragments, then one result per deferred fragment that completed,
``{incremental: [{data, path, label?, errors?}], hasNext}``, one entry per object the fragment
applies to (``path`` the object's, with list indexes), the last one ``hasNext: false``.

Each part is projected as the whole response is (``shape.py``): the first with the client's
selections minus the deferred fragments, a deferred fragment's with only the fields on the way
to it and the fragment itself (:func:`towards`: nothing the first part carried is decrypted,
audited or reported twice), so authorization decisions, masks, decryption, null propagation
and error paths apply to a deferred field exactly as to any other; the entry's ``data`` is then
the fragment's fields of the object at its path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema

from ..operation import FieldSelection, InlineSelection, Selection, collect_fields
from ..planner.plan import DeferredNode

__all__ = [
    "DeferredPart",
    "entries",
    "fragment_keys",
    "merge_entries",
    "towards",
    "without_deferred",
]

Path = list[str | int]


@dataclass(frozen=True)
class DeferredPart:
    """A deferred fragment's node in the plan, the response keys it gives the objects at its
    path, and the shaper projecting its part (``shape.Shaper``; ``Any`` keeps this module
    free of it)."""

    node: DeferredNode
    keys: tuple[str, ...]
    shaper: Any


def without_deferred(
    selections: Sequence[Selection], deferred: frozenset[int]
) -> tuple[Selection, ...]:
    """``selections`` without the fragments of the ``deferred`` marks."""
    result: list[Selection] = []
    for item in selections:
        if isinstance(item, FieldSelection):
            if item.selections is not None and _has_marks(item.selections, deferred):
                inner = without_deferred(item.selections, deferred)
                item = _with_selections(item, inner)
            result.append(item)
            continue
        mark = item.defer
        if mark is not None and mark.id in deferred:
            continue
        result.append(
            InlineSelection(
                item.type_condition, without_deferred(item.selections, deferred), item.defer
            )
        )
    return tuple(result)


def towards(selections: Sequence[Selection], mark: int) -> tuple[Selection, ...]:
    """Only what leads to the fragment of ``mark`` (the fields on the way) and the fragment."""
    result: list[Selection] = []
    for item in selections:
        if isinstance(item, InlineSelection):
            if item.defer is not None and item.defer.id == mark:
                result.append(item)
            elif _find(item.selections, mark) is not None:
                result.append(
                    InlineSelection(item.type_condition, towards(item.selections, mark), item.defer)
                )
        elif item.selections is not None and _find(item.selections, mark) is not None:
            result.append(_with_selections(item, towards(item.selections, mark)))
    return tuple(result)


def _with_selections(item: FieldSelection, selections: tuple[Selection, ...]) -> FieldSelection:
    """``item`` with other sub-selections; a field an authorization decision wraps keeps its
    wrapper's type (``DecidedField``: its decision travels with it)."""
    return dataclasses.replace(item, selections=selections)


def _has_marks(selections: Sequence[Selection], deferred: frozenset[int]) -> bool:
    for item in selections:
        if isinstance(item, InlineSelection):
            if (item.defer is not None and item.defer.id in deferred) or _has_marks(
                item.selections, deferred
            ):
                return True
        elif item.selections is not None and _has_marks(item.selections, deferred):
            return True
    return False


def fragment_keys(
    schema: GraphQLSchema, selections: Sequence[Selection], mark: int, type_name: str
) -> tuple[str, ...]:
    """The response keys the fragment of ``mark`` gives objects of ``type_name``."""
    fragment = _find(selections, mark)
    if fragment is None:
        return ()
    return tuple(collect_fields(schema, fragment.selections, type_name))


def _find(selections: Sequence[Selection], mark: int) -> InlineSelection | None:
    for item in selections:
        if isinstance(item, InlineSelection):
            if item.defer is not None and item.defer.id == mark:
                return item
            found = _find(item.selections, mark)
        else:
            found = _find(item.selections, mark) if item.selections is not None else None
        if found is not None:
            return found
    return None


def _objects(data: Any, path: Sequence[str], at: Path) -> Iterator[Path]:
    """The paths (with list indexes) of the objects at the plan's ``path`` in ``data``."""
    if data is None:
        return
    if not path:
        if isinstance(data, dict):
            yield at
        return
    step, rest = path[0], path[1:]
    if step == "@":
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield from _objects(item, rest, [*at, index])
    elif isinstance(data, dict):
        yield from _objects(data.get(step), rest, [*at, step])


def _at(data: Any, path: Path) -> Any:
    for step in path:
        if data is None:
            return None
        data = data[step]
    return data


def entries(
    part: DeferredPart,
    first: Mapping[str, Any] | None,
    shaped: Mapping[str, Any] | None,
    errors: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The part's ``incremental`` entries: one per object at its path in ``first`` (the data
    the client was sent), each its fragment's fields from ``shaped`` (the part's projection,
    None where a null reached the object) with the ``errors`` at or below its path."""
    result: list[dict[str, Any]] = []
    paths = list(_objects(first, part.node.path, []))
    placed = [False] * len(errors)
    for path in paths:
        try:
            obj = _at(shaped, path)
        except (KeyError, IndexError, TypeError):
            obj = None
        entry: dict[str, Any] = {
            "data": {key: obj[key] for key in part.keys if key in obj}
            if isinstance(obj, dict)
            else None,
            "path": path,
        }
        if part.node.label is not None:
            entry["label"] = part.node.label
        own = []
        for index, error in enumerate(errors):
            where = error.get("path")
            if not placed[index] and isinstance(where, list) and where[: len(path)] == path:
                own.append(dict(error))
                placed[index] = True
        if own:
            entry["errors"] = own
        result.append(entry)
    rest = [dict(e) for e, done in zip(errors, placed, strict=True) if not done]
    if rest and result:  # an error without a path under an object: with the first
        result[0].setdefault("errors", []).extend(rest)
    return result


def merge_entries(data: dict[str, Any] | None, incremental: Sequence[Mapping[str, Any]]) -> None:
    """Merge sent entries into ``data`` (the whole answer, for its measured cost)."""
    for entry in incremental:
        target = _at(data, entry["path"]) if data is not None else None
        if isinstance(target, dict) and isinstance(entry["data"], dict):
            target.update(entry["data"])
