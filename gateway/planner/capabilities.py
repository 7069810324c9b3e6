"""What each subgraph can resolve: the questions the planner asks of the supergraph model.

"Can graph G resolve field f of type T here?" depends on ``@join__field`` (external, override,
requires), on ``@provides`` along the current path, on ``@interfaceObject`` (G may know an
object type only through an interface) and on keys (a key field is always resolvable where the
key is declared).
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache

from graphql import GraphQLSchema, is_abstract_type
from graphql.language import FieldNode, InlineFragmentNode, SelectionSetNode

from ..supergraph import FieldMeta, Supergraph, TypeMeta
from ..supergraph.model import ContextArgument

__all__ = ["Capabilities", "KeyHop"]


KeyHop = tuple[str, str, SelectionSetNode]  # (graph, view type in that graph, key)


class Capabilities:
    """Cached answers about one supergraph, under one set of active override labels."""

    def __init__(self, supergraph: Supergraph, active_labels: frozenset[str] = frozenset()) -> None:
        self.supergraph = supergraph
        self.active_labels = active_labels
        self.schema: GraphQLSchema = supergraph.schema
        self.types = supergraph.types
        self.graph_ids = tuple(supergraph.graphs)
        self.view = lru_cache(maxsize=None)(self._view)
        self.possible_in = lru_cache(maxsize=None)(self._possible_in)
        self.key_fields = lru_cache(maxsize=None)(self._key_fields)
        self.key_path = lru_cache(maxsize=None)(self._key_path)
        self.field_graphs = lru_cache(maxsize=None)(self._field_graphs)

    # -- types -------------------------------------------------------------------------------

    def meta(self, type_name: str) -> TypeMeta | None:
        return self.types.get(type_name)

    def is_composite(self, type_name: str) -> bool:
        meta = self.types.get(type_name)
        return meta is not None and meta.kind in ("object", "interface", "union")

    def is_abstract(self, type_name: str) -> bool:
        gql_type = self.schema.type_map.get(type_name)
        if gql_type is not None:
            return bool(is_abstract_type(gql_type))
        meta = self.types.get(type_name)
        return meta is not None and meta.kind in ("interface", "union")

    def in_graph(self, type_name: str, graph: str) -> bool:
        meta = self.types.get(type_name)
        if meta is None:
            return False
        return not meta.joins or graph in meta.graphs

    def _view(self, type_name: str, graph: str) -> str | None:
        """The type under which ``graph`` knows objects of ``type_name``, if it knows them.

        Usually the type itself; for a graph with ``@interfaceObject`` it is the interface.
        """
        meta = self.types.get(type_name)
        if meta is None:
            return None
        if self.in_graph(type_name, graph):
            return type_name
        if meta.kind != "object":
            return None
        for interface in sorted(self._interfaces_of(type_name)):
            interface_meta = self.types.get(interface)
            if interface_meta is not None and interface_meta.is_interface_object_in(graph):
                return interface
        return None

    def _interfaces_of(self, type_name: str) -> set[str]:
        gql_type = self.schema.type_map.get(type_name)
        names = {i.name for i in getattr(gql_type, "interfaces", ())} if gql_type else set()
        meta = self.types.get(type_name)
        if meta is not None:
            for interfaces in meta.implements.values():
                names |= interfaces
        return names

    def _possible_in(self, type_name: str, graph: str) -> tuple[str, ...]:
        """Object types that ``graph`` may return for a field of abstract type ``type_name``."""
        meta = self.types.get(type_name)
        if meta is None:
            return ()
        api_possible = self.supergraph.possible_types(type_name)
        result: list[str] = []
        if meta.kind == "union":
            members = meta.members.get(graph)
            candidates = set(members if members is not None else api_possible)
        else:
            candidates = {
                name
                for name, other in self.types.items()
                if other.kind == "object" and type_name in other.implements.get(graph, ())
            }
            if not candidates and not any(t.implements for t in self.types.values()):
                candidates = set(api_possible)
        for name in sorted(candidates):
            if name in self.schema.type_map and self.in_graph(name, graph):
                result.append(name)
        return tuple(result)

    # -- fields ------------------------------------------------------------------------------

    def field_meta(self, type_name: str, field_name: str) -> FieldMeta | None:
        meta = self.types.get(type_name)
        if meta is None:
            return None
        return meta.fields.get(field_name)

    def _key_fields(self, type_name: str, graph: str) -> frozenset[str]:
        """Top-level field names used in any key of ``type_name`` declared by ``graph``."""
        meta = self.types.get(type_name)
        names: set[str] = set()
        if meta is not None:
            for join in meta.keys(graph, resolvable_only=False):
                assert join.key is not None
                for selection in join.key.selections:
                    if isinstance(selection, FieldNode):
                        names.add(selection.name.value)
        return frozenset(names)

    def local(
        self,
        type_name: str,
        field_name: str,
        graph: str,
        provided: SelectionSetNode | None = None,
        *,
        for_key: bool = False,
    ) -> bool:
        """Whether ``graph`` resolves ``field_name`` on objects of ``type_name``."""
        if field_name == "__typename":
            return True
        view = self.view(type_name, graph)
        if view is None:
            return False
        field_meta = self.field_meta(view, field_name)
        if field_meta is None:
            return False
        if not field_meta.joins:
            return True
        join = field_meta.join_for(graph)
        if join is None:
            return False
        if join.external:
            # an @external field is resolvable only where a @provides says so (a key field
            # too: the subgraph receives it in representations but cannot produce it)
            return provided is not None and _provides(provided, field_name, type_name, self)
        if join.override_label is not None:
            # progressive override: the overriding graph while the label is active, the
            # original graph (still able to give its key fields) while it is not
            active = join.override_label in self.active_labels
            if join.override is not None:
                return active or for_key
            return for_key or not active
        if join.used_overridden:
            return for_key
        return True

    def requires(self, type_name: str, field_name: str, graph: str) -> SelectionSetNode | None:
        view = self.view(type_name, graph)
        field_meta = self.field_meta(view, field_name) if view else None
        if field_meta is None:
            return None
        join = field_meta.join_for(graph)
        return join.requires if join is not None else None

    def context_arguments(
        self, type_name: str, field_name: str, graph: str
    ) -> tuple[ContextArgument, ...]:
        """The arguments ``graph``'s field takes from an ancestor (``@fromContext``)."""
        view = self.view(type_name, graph)
        field_meta = self.field_meta(view, field_name) if view else None
        join = field_meta.join_for(graph) if field_meta is not None else None
        return join.context_arguments if join is not None else ()

    def provides(self, type_name: str, field_name: str, graph: str) -> SelectionSetNode | None:
        view = self.view(type_name, graph)
        field_meta = self.field_meta(view, field_name) if view else None
        if field_meta is None:
            return None
        join = field_meta.join_for(graph)
        return join.provides if join is not None else None

    def _field_graphs(self, type_name: str, field_name: str) -> tuple[str, ...]:
        """Graphs that resolve ``type_name.field_name`` (without any ``@provides``)."""
        return tuple(g for g in self.graph_ids if self.local(type_name, field_name, g))

    def field_type(self, type_name: str, field_name: str) -> str | None:
        field_meta = self.field_meta(type_name, field_name)
        if field_meta is not None:
            return field_meta.type_name
        for interface in self._interfaces_of(type_name):
            field_meta = self.field_meta(interface, field_name)
            if field_meta is not None:
                return field_meta.type_name
        return None

    # -- keys --------------------------------------------------------------------------------

    def keys(self, type_name: str, graph: str) -> list[SelectionSetNode]:
        """Resolvable keys under which ``graph`` accepts objects of ``type_name``."""
        view = self.view(type_name, graph)
        if view is None:
            return []
        meta = self.types[view]
        return [join.key for join in meta.keys(graph) if join.key is not None]

    def selection_local(
        self,
        type_name: str,
        selection_set: SelectionSetNode,
        graph: str,
        provided: SelectionSetNode | None = None,
    ) -> bool:
        """Whether ``graph`` resolves a whole field set (a key) on ``type_name``."""
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                if condition and condition != type_name:
                    continue
                if not self.selection_local(type_name, selection.selection_set, graph, provided):
                    return False
                continue
            if not isinstance(selection, FieldNode):
                return False
            name = selection.name.value
            if not self.local(type_name, name, graph, provided, for_key=True):
                return False
            if selection.selection_set is not None:
                child = self.field_type(self.view(type_name, graph) or type_name, name)
                if child is None:
                    return False
                for possible in (
                    self.possible_in(child, graph) if self.is_abstract(child) else (child,)
                ):
                    if not self.selection_local(possible, selection.selection_set, graph):
                        return False
        return True

    def _key_path(self, type_name: str, source: str, target: str) -> tuple[KeyHop, ...] | None:
        """The shortest chain of entity jumps from ``source`` to ``target`` for ``type_name``."""
        if source == target:
            return ()
        queue: deque[tuple[str, tuple[KeyHop, ...]]] = deque([(source, ())])
        seen = {source}
        while queue:
            graph, hops = queue.popleft()
            for next_graph in self.graph_ids:
                if next_graph in seen:
                    continue
                view = self.view(type_name, next_graph)
                if view is None:
                    continue
                for key in self.keys(type_name, next_graph):
                    if self.selection_local(type_name, key, graph):
                        path = (*hops, (next_graph, view, key))
                        if next_graph == target:
                            return path
                        seen.add(next_graph)
                        queue.append((next_graph, path))
                        break
        return None


def _provides(
    provided: SelectionSetNode, field_name: str, type_name: str, caps: Capabilities
) -> bool:
    for selection in provided.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == field_name:
                return True
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if (
                condition is None
                or condition == type_name
                or type_name in caps.supergraph.possible_types(condition)
            ) and _provides(selection.selection_set, field_name, type_name, caps):
                return True
    return False


def provided_child(
    provided: SelectionSetNode | None, field_name: str, type_name: str, caps: Capabilities
) -> SelectionSetNode | None:
    """The part of a ``@provides`` selection below ``field_name``."""
    if provided is None:
        return None
    for selection in provided.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == field_name and selection.selection_set is not None:
                return selection.selection_set
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            if (
                condition is None
                or condition == type_name
                or type_name in caps.supergraph.possible_types(condition)
            ):
                found = provided_child(selection.selection_set, field_name, type_name, caps)
                if found is not None:
                    return found
    return None
