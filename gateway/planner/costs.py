"""The planner's cost model: how many fetches a choice of subgraph implies.

Costs are counted in fetches (an entity jump costs one, plus what its key needs), with a small
tie-breaker per field fetched after a jump, so that among choices with as many fetches the one
moving less data wins. Costs are memoized per planning run; a computation that meets one still
in progress (a cycle) is not cached, since its result holds only with the cycle cut there.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLSchema
from graphql.language import SelectionSetNode

from ..errors import TandemError
from ..operation import FieldSelection, Selection, collect_fields, merged_selections
from ..supergraph import Supergraph
from .capabilities import Capabilities, provided_child
from .internal import internal_selections, selection_size, unwrap

__all__ = ["EPSILON", "INF", "CostModel"]

INF = float("inf")
EPSILON = 0.001  # per field fetched after a jump: among equal fetch counts, move less data


class CostModel:
    """Cost estimates for one planning run (its caches live as long as the run)."""

    def __init__(self, supergraph: Supergraph, caps: Capabilities, schema: GraphQLSchema) -> None:
        self.supergraph = supergraph
        self.caps = caps
        self.schema = schema
        self.cost_cache: dict[tuple[object, ...], float] = {}
        self.in_progress: set[tuple[object, ...]] = set()
        self.cycle_hits = 0
        self.keep_alive: list[object] = []  # ids in cache keys must stay unique

    def best_key(
        self, type_name: str, source: str, target: str, provided: SelectionSetNode | None
    ) -> SelectionSetNode | None:
        best: tuple[float, SelectionSetNode] | None = None
        for key in self.caps.keys(type_name, target):
            cost = self.key(type_name, source, key, provided)
            if cost < INF and (best is None or cost < best[0]):
                best = (cost, key)
        return best[1] if best else None

    def key(
        self,
        type_name: str,
        source: str,
        key: SelectionSetNode,
        provided: SelectionSetNode | None = None,
    ) -> float:
        if self.caps.selection_local(type_name, key, source, provided):
            return 0
        selections = internal_selections(key, {})
        self.keep_alive.append(selections)
        return self.fields(type_name, source, selections, provided)

    def jump(
        self,
        type_name: str,
        source: str,
        target: str,
        provided: SelectionSetNode | None = None,
    ) -> float:
        """Fetches needed to reach ``target``'s entity for objects now in ``source``."""
        cache_key = ("jump", type_name, source, target, id(provided))

        def compute() -> float:
            cost = INF
            if self.caps.view(type_name, target) is not None:
                for key in self.caps.keys(type_name, target):
                    cost = min(cost, 1 + self.key(type_name, source, key, provided))
            return cost

        return self.memo(cache_key, compute)

    def memo(self, cache_key: tuple[object, ...], compute: Callable[[], float]) -> float:
        """Memoized cost; a computation that met one still in progress (a cycle) is not
        cached, since its result is only valid with that cycle cut where it was met."""
        cached = self.cost_cache.get(cache_key)
        if cached is not None:
            return cached
        if cache_key in self.in_progress:
            self.cycle_hits += 1
            return INF
        self.in_progress.add(cache_key)
        hits = self.cycle_hits
        try:
            cost = compute()
        finally:
            self.in_progress.discard(cache_key)
        if self.cycle_hits == hits:
            self.cost_cache[cache_key] = cost
        return cost

    def local(
        self,
        type_name: str,
        graph: str,
        same_key: list[FieldSelection],
        provided: SelectionSetNode | None,
    ) -> float:
        """Extra fetches needed below a field resolved by ``graph``."""
        first = same_key[0]
        if first.selections is None:
            return 0
        field_type = self.output_type(type_name, first.name)
        named, _ = unwrap(field_type)
        named = self.type_in_graph(type_name, first.name, graph, named)
        child_provided = self.caps.provides(type_name, first.name, graph) or provided_child(
            provided, first.name, type_name, self.caps
        )
        return self.selections(named, graph, merged_selections(same_key), child_provided)

    def selections(
        self,
        type_name: str,
        graph: str,
        selections: tuple[Selection, ...],
        provided: SelectionSetNode | None,
    ) -> float:
        cache_key = (type_name, graph, id(selections), id(provided))
        self.keep_alive.append((selections, provided))  # ids in cache keys stay unique

        def compute() -> float:
            if self.caps.is_abstract(type_name):
                meta = self.caps.meta(type_name)
                if meta is not None and meta.is_interface_object_in(graph):
                    return self.fields(type_name, graph, selections, provided)
                return sum(
                    self.fields(possible, graph, selections, provided)
                    for possible in self.caps.possible_in(type_name, graph)
                )
            return self.fields(type_name, graph, selections, provided)

        return self.memo(cache_key, compute)

    def fields(
        self,
        type_name: str,
        graph: str,
        selections: tuple[Selection, ...],
        provided: SelectionSetNode | None,
    ) -> float:
        total: float = 0
        for same_key in collect_fields(self.schema, selections, type_name).values():
            name = same_key[0].name
            if name == "__typename":
                continue
            best = INF
            if self.caps.local(type_name, name, graph, provided):
                best = self.local(type_name, graph, same_key, provided)
                if self.caps.requires(type_name, name, graph) is not None:
                    best += 1
            if best > 0:
                for other in self.caps.field_graphs(type_name, name):
                    if other == graph:
                        continue
                    jump = self.jump(type_name, graph, other, provided)
                    if jump < INF:
                        cost = jump + self.local(type_name, other, same_key, None)
                        best = min(best, cost + EPSILON * selection_size(same_key))
            if best == INF:
                return INF
            total += best
        return total

    def type_in_graph(self, type_name: str, field_name: str, graph: str, named: str) -> str:
        """The field's type as ``graph`` declares it (``@join__field(type:)``), if narrower."""
        view = self.caps.view(type_name, graph) or type_name
        meta = self.caps.field_meta(view, field_name)
        join = meta.join_for(graph) if meta is not None else None
        if join is None or join.type is None:
            return named
        declared = join.type.replace("!", "").replace("[", "").replace("]", "").strip()
        return declared if declared in self.schema.type_map else named

    def output_type(self, type_name: str, field_name: str):  # type: ignore[no-untyped-def]
        gql_type = self.supergraph.schema.type_map.get(type_name)
        fields = getattr(gql_type, "fields", None)
        if fields and field_name in fields:
            return fields[field_name].type
        raise TandemError(f"unknown field {type_name}.{field_name}", code="QUERY_PLANNING_FAILED")
