"""Minimal Federation 2 subgraph support on top of graphql-core.

Builds an executable schema from a subgraph SDL (the file in ``schemas/``) by adding the
federation definitions a gateway relies on: ``_Any``, ``_Entity``, ``_Service``,
``Query._service`` and ``Query._entities``.  ``_service { sdl }`` returns the subgraph SDL
exactly as written in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLSchema, build_schema

FEDERATION_DEFS = """
scalar _Any
scalar FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
directive @link(url: String!, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @external on FIELD_DEFINITION | OBJECT
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @interfaceObject on OBJECT
directive @override(from: String!, label: String) on FIELD_DEFINITION
type _Service { sdl: String }
"""

EntityResolver = Callable[[Mapping[str, Any]], Any]


def entity_type_names(sdl: str) -> list[str]:
    """Object types carrying a resolvable @key (the members of ``_Entity``)."""
    names = []
    for m in re.finditer(r"type\s+(\w+)\s+([^{]*)\{", sdl):
        directives = m.group(2)
        if "@key" in directives and "resolvable: false" not in directives:
            names.append(m.group(1))
    return names


def build_subgraph_schema(
    sdl: str,
    root_resolvers: Mapping[str, Callable[..., Any]],
    entity_resolvers: Mapping[str, EntityResolver],
    field_resolvers: Mapping[str, Callable[..., Any]] | None = None,
) -> GraphQLSchema:
    """``root_resolvers``/``field_resolvers`` are keyed "Type.field"; ``entity_resolvers`` by
    type name, each taking one representation and returning the object (a dict) or None."""
    entities = entity_type_names(sdl)
    missing = set(entities) - set(entity_resolvers)
    if missing:
        raise ValueError(f"no entity resolver for {sorted(missing)}")
    extra = [FEDERATION_DEFS]
    query_fields = "_service: _Service!"
    if entities:
        extra.append(f"union _Entity = {' | '.join(entities)}")
        query_fields += "\n  _entities(representations: [_Any!]!): [_Entity]!"
    has_query = re.search(r"^type\s+Query\b", sdl, re.M) is not None
    extra.append(f"{'extend type' if has_query else 'type'} Query {{\n  {query_fields}\n}}")
    schema = build_schema(sdl + "\n" + "\n".join(extra))

    def resolve_service(_root: Any, _info: Any) -> dict[str, str]:
        return {"sdl": sdl}

    def resolve_entities(
        _root: Any, _info: Any, representations: list[dict[str, Any]]
    ) -> list[Any]:
        out = []
        for rep in representations:
            typename = rep.get("__typename")
            resolver = entity_resolvers.get(typename)  # type: ignore[arg-type]
            if resolver is None:
                raise ValueError(f"unknown entity type {typename!r}")
            obj = resolver(rep)
            if obj is not None:
                obj = {**obj, "__typename": typename} if "__typename" not in obj else obj
            out.append(obj)
        return out

    query = schema.query_type
    assert query is not None
    query.fields["_service"].resolve = resolve_service
    if entities:
        query.fields["_entities"].resolve = resolve_entities
        union = schema.type_map["_Entity"]
        union.resolve_type = lambda obj, _info, _type: obj["__typename"]  # type: ignore[attr-defined]
    for key, fn in {**root_resolvers, **(field_resolvers or {})}.items():
        type_name, field_name = key.split(".")
        schema.type_map[type_name].fields[field_name].resolve = fn  # type: ignore[attr-defined]
    return schema
