"""Project merged subgraph data onto the client's selection, as GraphQL's CompleteValue does.

Gives the client exactly what it asked for: its response keys in its order, ``__typename``,
only the fields of the fragments that apply to each object's runtime type, and null
propagation: a null in a non-null position nulls the nearest nullable parent, with an error at
the field's path unless a subgraph already reported one there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_abstract_type,
    is_leaf_type,
)

from ..planner.operation import FieldSelection, Selection, collect_fields, merged_selections

__all__ = ["Shaper"]


class _Bubble(Exception):
    """A null reached a non-null position; caught by the nearest nullable parent."""


class Shaper:
    """Shapes results for one normalized operation (its collected fields are cached)."""

    def __init__(self, schema: GraphQLSchema, selections: tuple[Selection, ...], root_type: str):
        self.schema = schema
        self.selections = selections
        self.root_type = root_type
        self._collected: dict[tuple[int, str], list[tuple[str, list[FieldSelection]]]] = {}
        self._keep: list[Sequence[Selection]] = []

    def _fields(
        self, selections: Sequence[Selection], type_name: str
    ) -> list[tuple[str, list[FieldSelection]]]:
        cache_key = (id(selections), type_name)
        found = self._collected.get(cache_key)
        if found is None:
            found = list(collect_fields(self.schema, selections, type_name).items())
            self._collected[cache_key] = found
            self._keep.append(selections)
        return found

    def shape(
        self,
        data: Mapping[str, Any],
        errors: list[dict[str, Any]],
        introspection: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        run = _Run(self, errors)
        root = self.schema.get_type(self.root_type)
        assert isinstance(root, GraphQLObjectType)
        try:
            return run.object(root, self.selections, data, [], introspection or {})
        except _Bubble:
            return None


class _Run:
    def __init__(self, shaper: Shaper, errors: list[dict[str, Any]]) -> None:
        self.shaper = shaper
        self.schema = shaper.schema
        self.errors = errors
        self._error_paths: set[tuple[Any, ...]] | None = None

    def _has_error_at(self, path: list[Any]) -> bool:
        if self._error_paths is None:
            paths: set[tuple[Any, ...]] = set()
            for error in self.errors:
                error_path = error.get("path")
                if isinstance(error_path, list):
                    for end in range(1, len(error_path) + 1):
                        paths.add(tuple(error_path[:end]))
                elif error.get("extensions", {}).get("code", "").startswith("SUBGRAPH"):
                    paths.add(())
            self._error_paths = paths
        if () in self._error_paths:
            return True
        return tuple(path) in self._error_paths

    def _null_error(self, parent: str, field: str, path: list[Any]) -> None:
        if not self._has_error_at(path):
            self.errors.append(
                {
                    "message": f"Cannot return null for non-nullable field {parent}.{field}.",
                    "path": list(path),
                    "extensions": {"code": "INVALID_SUBGRAPH_RESPONSE"},
                }
            )
            if self._error_paths is not None:
                for end in range(1, len(path) + 1):
                    self._error_paths.add(tuple(path[:end]))

    def object(
        self,
        object_type: GraphQLObjectType,
        selections: Sequence[Selection],
        value: Mapping[str, Any],
        path: list[Any],
        introspection: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        type_name = object_type.name
        fields = object_type.fields
        for key, same_key in self.shaper._fields(selections, type_name):
            name = same_key[0].name
            if name == "__typename":
                result[key] = type_name
                continue
            if introspection is not None and name in ("__schema", "__type"):
                result[key] = introspection.get(key)
                continue
            definition = fields.get(name)
            if definition is None:
                continue
            field_path = [*path, key]
            field_type = definition.type
            sub = merged_selections(same_key) if same_key[0].selections is not None else ()
            raw = value.get(key)
            if isinstance(field_type, GraphQLNonNull):
                completed = self.complete(field_type.of_type, sub, raw, field_path)
                if completed is None:
                    self._null_error(type_name, name, field_path)
                    raise _Bubble
                result[key] = completed
            else:
                try:
                    result[key] = self.complete(field_type, sub, raw, field_path)
                except _Bubble:
                    result[key] = None
        return result

    def complete(
        self, field_type: Any, selections: Sequence[Selection], raw: Any, path: list[Any]
    ) -> Any:
        if raw is None:
            return None
        if isinstance(field_type, GraphQLList):
            if not isinstance(raw, list):
                return None
            item_type = field_type.of_type
            items: list[Any] = []
            if isinstance(item_type, GraphQLNonNull):
                inner = item_type.of_type
                for index, item in enumerate(raw):
                    item_path = [*path, index]
                    completed = self.complete(inner, selections, item, item_path)
                    if completed is None:
                        self._null_error_item(item_path)
                        raise _Bubble
                    items.append(completed)
            else:
                for index, item in enumerate(raw):
                    try:
                        items.append(self.complete(item_type, selections, item, [*path, index]))
                    except _Bubble:
                        items.append(None)
            return items
        if is_leaf_type(field_type):
            if isinstance(field_type, GraphQLEnumType):
                if not isinstance(raw, str) or raw not in field_type.values:
                    self._invalid_value(field_type.name, raw, path)
                    return None
            return raw
        if not isinstance(raw, dict):
            return None
        if is_abstract_type(field_type):
            typename = raw.get("__typename")
            runtime = self.schema.get_type(typename) if typename else None
            if runtime is None and typename is None or runtime is field_type:
                # an @interfaceObject subgraph knows only the interface: shape by it
                if isinstance(field_type, GraphQLInterfaceType):
                    return self.object(field_type, selections, raw, path)  # type: ignore[arg-type]
                return None
            if not isinstance(runtime, GraphQLObjectType) or not self.schema.is_sub_type(
                field_type, runtime
            ):
                return None
        else:
            runtime = field_type
        return self.object(runtime, selections, raw, path)

    def _null_error_item(self, path: list[Any]) -> None:
        if not self._has_error_at(path):
            self.errors.append(
                {
                    "message": "Cannot return null for non-nullable list item.",
                    "path": list(path),
                    "extensions": {"code": "INVALID_SUBGRAPH_RESPONSE"},
                }
            )

    def _invalid_value(self, type_name: str, raw: Any, path: list[Any]) -> None:
        self.errors.append(
            {
                "message": f"Enum {type_name} cannot represent value {raw!r}.",
                "path": list(path),
                "extensions": {"code": "INVALID_SUBGRAPH_RESPONSE"},
            }
        )
