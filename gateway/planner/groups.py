"""A fetch group: one future fetch of the plan, filled while the planner walks the operation."""

from __future__ import annotations

from dataclasses import dataclass, field

from .plan import ContextRewrite
from .selection import SelectionBuilder

__all__ = ["FetchGroup"]


@dataclass(eq=False)
class FetchGroup:
    """A root fetch, or an ``_entities`` fetch at ``path`` (``parent`` is what it depends on)."""

    id: int
    graph: str
    type_name: str
    path: tuple[str, ...]
    is_entity: bool
    parent: FetchGroup | None
    step: int
    kind: str = ""
    selection: SelectionBuilder = field(default_factory=SelectionBuilder)
    representation: SelectionBuilder = field(default_factory=SelectionBuilder)
    accepts: set[str] = field(default_factory=set)
    deps: set[FetchGroup] = field(default_factory=set)
    renames: dict[str, str] = field(default_factory=dict)
    context_rewrites: list[ContextRewrite] = field(default_factory=list)
    defer: int | None = None  # the @defer mark whose deferred fetches it is one of

    def __hash__(self) -> int:
        return self.id
