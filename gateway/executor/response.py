"""Check a subgraph's GraphQL response against what its fetch asked for, before merging it.

A subgraph that answers something other than what was asked must never become a plausible
answer for the client (issue 11: ``budget: null`` read as "no budget" when ERP failed). Each
violation here becomes an ``INVALID_SUBGRAPH_RESPONSE`` error naming the subgraph, at the
response paths the fetch was for; the caller then merges nothing it cannot trust:

- ``errors`` must be a list of objects (a string is one error, not one per character);
- ``data`` must be an object, or null together with errors (``data: null`` alone is reported
  as such);
- a root fetch's ``data`` holds every response key the fetch selected, and nothing else is
  merged (the answer to a different query would otherwise overwrite other subgraphs' data);
- an entity fetch's ``data._entities`` is a list with one entry (an object or null) per
  representation sent.

Leaf values are checked against their schema types when shaping (``shape.py``), where the
type of each field is compiled once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["INVALID", "entity_list", "entity_problem", "root_data", "subgraph_errors"]

INVALID = "INVALID_SUBGRAPH_RESPONSE"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def subgraph_errors(body: dict[str, Any], service_name: str) -> tuple[list[Any], str | None]:
    """The response's error objects, and a problem sentence when ``errors`` is malformed.

    A malformed ``errors`` (not a list, or holding non-objects) counts as one problem; the
    objects that are there are still passed on, since they are the subgraph's own words.
    """
    errors = body.get("errors")
    if errors is None:
        return [], None
    if type(errors) is not list:
        return [], (f"subgraph {service_name} answered errors that are {_kind(errors)}, not a list")
    if all(type(error) is dict for error in errors):
        return errors, None
    return [error for error in errors if type(error) is dict], (
        f"subgraph {service_name} answered errors that are not all objects"
    )


def root_data(
    body: dict[str, Any], service_name: str, root_keys: tuple[str, ...], has_errors: bool
) -> tuple[dict[str, Any] | None, list[str], str | None]:
    """A root fetch's ``data`` to merge, the selected keys it lacks, and a problem sentence.

    Keys the fetch did not select are dropped from the data to merge: they cannot be the
    answer to this fetch. With ``data: null`` and errors the data is simply absent (the
    subgraph's errors say why).
    """
    data = body.get("data")
    if data is None:
        if has_errors:
            return None, [], None
        return None, list(root_keys), f"subgraph {service_name} answered data: null without errors"
    if type(data) is not dict:
        return (
            None,
            list(root_keys),
            (f"subgraph {service_name} answered data that is {_kind(data)}, not an object"),
        )
    missing = [key for key in root_keys if key not in data]
    if root_keys and len(data) != len(root_keys) - len(missing):
        data = {key: data[key] for key in root_keys if key in data}
    if not missing:
        return data, [], None
    if has_errors and not data:  # GraphQL allows a failed request to omit its fields
        return data, [], None
    return (
        data,
        missing,
        (
            f"subgraph {service_name} answered without the field(s) it was asked for: "
            + ", ".join(missing)
        ),
    )


def entity_list(
    body: dict[str, Any], service_name: str, count: int, has_errors: bool
) -> tuple[list[Any] | None, str | None]:
    """An entity fetch's ``_entities`` (``count`` long), or None and a problem sentence.

    None without a problem: ``data`` is null and the subgraph's errors say why.
    """
    data = body.get("data")
    if data is None:
        if has_errors:
            return None, None
        return None, f"subgraph {service_name} answered data: null without errors"
    if type(data) is not dict:
        return None, f"subgraph {service_name} answered data that is {_kind(data)}, not an object"
    entities = data.get("_entities")
    if entities is None and has_errors and "_entities" in data:
        return None, None
    if type(entities) is not list:
        return None, f"subgraph {service_name} answered _entities that is {_kind(entities)}"
    if len(entities) != count:
        return None, (
            f"subgraph {service_name} answered {len(entities)} _entities for "
            f"{count} representation(s)"
        )
    return entities, None


def entity_problem(service_name: str, entity: Any) -> str:
    """The sentence for one ``_entities`` entry that is neither an object nor null."""
    return f"subgraph {service_name} answered an entity that is {_kind(entity)}"
