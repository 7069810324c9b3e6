"""Which subgraphs could have produced the value at a response path, and so which union
members are safe to ask fields of there (the audit's ``partial-union-complex``)."""

from __future__ import annotations

from .capabilities import Capabilities
from .costs import INF, CostModel

__all__ = ["PathGraphs"]


class PathGraphs:
    """Response path -> the subgraphs that could have produced the value there, for one run."""

    def __init__(self, caps: Capabilities, costs: CostModel) -> None:
        self.caps = caps
        self.costs = costs
        self.path_graphs: dict[tuple[str, ...], frozenset[str]] = {}

    def safe_members(
        self, type_name: str, path: tuple[str, ...], possible_types: tuple[str, ...]
    ) -> frozenset[str]:
        """The union members whose fields may be asked for at ``path``.

        A shareable field may be answered by any subgraph that resolves it (the value is the
        same by contract), so below it only members that every such subgraph has are safe to
        select; an object of another member keeps its ``__typename`` and nulls (the audit's
        ``partial-union-complex``).
        """
        graphs = self.path_graphs.get(path)
        if graphs is None or len(graphs) < 2 or self.caps.meta(type_name) is None:
            return frozenset(possible_types)
        if self.caps.meta(type_name).kind != "union":  # type: ignore[union-attr]
            return frozenset(possible_types)
        safe = set(possible_types)
        for other in graphs:
            safe &= set(self.caps.possible_in(type_name, other))
        return frozenset(safe)

    def record(
        self,
        graph: str,
        type_name: str,
        name: str,
        path: tuple[str, ...],
        child_path: tuple[str, ...],
    ) -> None:
        """Which subgraphs could answer the field at ``child_path``: those resolving it among
        the parent's (an entity's value may come from any subgraph its key reaches)."""
        parent = self.path_graphs.get(path)
        if parent is None:
            parent = frozenset(self.caps.graph_ids) if not path else frozenset({graph})
        if self.caps.view(type_name, graph) is not None and any(
            self.caps.keys(type_name, other) for other in self.caps.graph_ids
        ):
            parent = parent | {
                other
                for other in self.caps.graph_ids
                if self.caps.keys(type_name, other)
                and self.costs.jump(type_name, graph, other) < INF
            }
        graphs = frozenset(other for other in parent if self.caps.local(type_name, name, other)) | {
            graph
        }
        self.path_graphs[child_path] = self.path_graphs.get(child_path, frozenset()) | graphs
