"""The supergraph as an immutable model: which subgraph defines which type and field, and how.

Everything the planner needs to know about ``join__*`` directives is answered here, so that
the planner never reads directives itself. Names follow the join spec
(https://specs.apollo.dev/join/v0.3): a *graph* is a subgraph, a *key* a ``join__FieldSet``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from graphql import GraphQLSchema
from graphql.language import SelectionSetNode

__all__ = [
    "ContextArgument",
    "FieldJoin",
    "FieldMeta",
    "Graph",
    "Supergraph",
    "TypeJoin",
    "TypeMeta",
]


@dataclass(frozen=True, slots=True)
class Graph:
    """One subgraph: its ``join__Graph`` enum value, its name and its URL."""

    id: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class TypeJoin:
    """One ``@join__type`` application."""

    graph: str
    key: SelectionSetNode | None = None
    key_text: str | None = None
    extension: bool = False
    resolvable: bool = True
    is_interface_object: bool = False


@dataclass(frozen=True, slots=True)
class ContextArgument:
    """An argument a subgraph's field takes from an ancestor (``@fromContext``, join v0.5):
    ``selection`` is read on the nearest ancestor whose type carries ``@context(name:
    context)``."""

    name: str
    type: str
    context: str
    selection: SelectionSetNode


@dataclass(frozen=True, slots=True)
class FieldJoin:
    """One ``@join__field`` application; ``graph`` is None for the graph-less form."""

    graph: str | None
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    context_arguments: tuple[ContextArgument, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldMeta:
    """A field of a composite type and the graphs that define it."""

    name: str
    type_name: str
    joins: tuple[FieldJoin, ...]
    type_text: str = ""

    def join_for(self, graph: str) -> FieldJoin | None:
        for join in self.joins:
            if join.graph == graph:
                return join
        return None


@dataclass(frozen=True)
class TypeMeta:
    """A named type with its ``join__type``, ``join__implements``, ``join__unionMember`` data."""

    name: str
    kind: str  # object | interface | union | enum | input | scalar
    joins: tuple[TypeJoin, ...]
    fields: Mapping[str, FieldMeta] = field(default_factory=dict)
    implements: Mapping[str, frozenset[str]] = field(default_factory=dict)
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def graphs(self) -> frozenset[str]:
        return frozenset(join.graph for join in self.joins)

    def keys(self, graph: str, *, resolvable_only: bool = True) -> list[TypeJoin]:
        """The ``@key``s this type has in ``graph`` (only resolvable ones by default)."""
        return [
            join
            for join in self.joins
            if join.graph == graph
            and join.key is not None
            and (join.resolvable or not resolvable_only)
        ]

    def is_interface_object_in(self, graph: str) -> bool:
        return any(j.graph == graph and j.is_interface_object for j in self.joins)


@dataclass(frozen=True, eq=False)
class Supergraph:
    """A read supergraph: subgraphs, per-type metadata, and the API schema clients see."""

    graphs: Mapping[str, Graph]
    types: Mapping[str, TypeMeta]
    api_schema: GraphQLSchema
    schema: GraphQLSchema  # the whole supergraph schema, @inaccessible elements included
    query_type: str
    mutation_type: str | None
    subscription_type: str | None
    sdl: str = field(repr=False)
    contexts: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Type name -> the ``@context`` names it carries."""

    @cached_property
    def hidden_names(self) -> frozenset[str]:
        """What the supergraph has and the API schema hides (``@inaccessible``): type names,
        and enum values as ``"Enum.VALUE"``."""
        api = self.api_schema.type_map
        names = set(self.schema.type_map) - set(api)
        for name, gql_type in self.schema.type_map.items():
            values = getattr(gql_type, "values", None)
            if isinstance(values, dict) and name in api:
                shown = getattr(api[name], "values", {})
                names.update(f"{name}.{value}" for value in values if value not in shown)
        return frozenset(names)

    def graph_name(self, graph_id: str) -> str:
        return self.graphs[graph_id].name

    @cached_property
    def interface_implementations(self) -> Mapping[str, frozenset[str]]:
        """Interface name -> object types implementing it (directly or not) in the supergraph."""
        result: dict[str, set[str]] = {}
        for meta in self.types.values():
            if meta.kind != "object":
                continue
            for interfaces in meta.implements.values():
                for interface in interfaces:
                    result.setdefault(interface, set()).add(meta.name)
        for name, gql_type in self.api_schema.type_map.items():
            if hasattr(gql_type, "interfaces") and not name.startswith("__"):
                for interface in getattr(gql_type, "interfaces", ()):
                    if name in self.types and self.types[name].kind == "object":
                        result.setdefault(interface.name, set()).add(name)
        return {name: frozenset(values) for name, values in result.items()}

    def possible_types(self, type_name: str) -> frozenset[str]:
        """All object types a value of ``type_name`` may have at run time (supergraph-wide)."""
        meta = self.types.get(type_name)
        if meta is None:
            return frozenset()
        if meta.kind == "object":
            return frozenset({type_name})
        if meta.kind == "union":
            members: set[str] = set()
            for graph_members in meta.members.values():
                members |= graph_members
            api_type = self.api_schema.type_map.get(type_name)
            if api_type is not None and hasattr(api_type, "types"):
                members |= {t.name for t in api_type.types}
            return frozenset(members)
        if meta.kind == "interface":
            return self.interface_implementations.get(type_name, frozenset())
        return frozenset()
