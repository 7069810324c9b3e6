"""The query plan: a small immutable tree, printed in a stable text form (as Apollo prints plans).

Node kinds follow Apollo's names: :class:`FetchNode` (one subgraph request),
:class:`FlattenNode` (run a fetch for every object found at a response path),
:class:`SequenceNode` and :class:`ParallelNode`. A :class:`FetchNode` of an entity fetch carries
its ``requires``: how to build each ``representations`` entry from the objects at the path.
:class:`BatchNode` (as Hive's planner does) sends the entity fetches of one subgraph that run
at the same time, at different paths, as one request. A plan with ``deferred`` nodes (``@defer``,
as Apollo's ``DeferNode``) runs ``node`` for the first response and each :class:`DeferredNode`
after it, for its part of the incremental response.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "BatchNode",
    "ContextRewrite",
    "DeferredNode",
    "FetchNode",
    "FlattenNode",
    "ParallelNode",
    "PlanNode",
    "QueryPlan",
    "RepresentationField",
    "RepresentationFragment",
    "SequenceNode",
]


@dataclass(frozen=True, slots=True)
class RepresentationField:
    """Copy ``data_key`` of an object into a representation under ``name``."""

    name: str
    data_key: str
    selections: tuple[RepresentationItem, ...] | None = None


@dataclass(frozen=True, slots=True)
class RepresentationFragment:
    """Applies to objects whose ``__typename`` is in ``accepts``.

    At the top of a ``requires``, ``type_condition`` is the ``__typename`` sent to the subgraph
    (an ``@interfaceObject`` subgraph is sent the interface's name).
    """

    type_condition: str
    accepts: frozenset[str]
    selections: tuple[RepresentationItem, ...]


RepresentationItem = RepresentationField | RepresentationFragment


@dataclass(frozen=True, slots=True)
class ContextRewrite:
    """A ``@fromContext`` argument: variable ``variable`` of an entity fetch takes, for each
    object at the fetch's path, the value at ``keys`` (data keys, outermost first) of its
    ancestor at ``ancestor_path`` (a prefix of the fetch's path) whose ``__typename`` is in
    ``accepts``. Objects whose values differ are sent in separate requests."""

    variable: str
    ancestor_path: tuple[str, ...]
    keys: tuple[str, ...]
    accepts: frozenset[str]


@dataclass(frozen=True, slots=True)
class FetchNode:
    """One request to one subgraph."""

    service_name: str
    operation: str
    operation_kind: str = "query"
    variable_usages: tuple[str, ...] = ()
    requires: tuple[RepresentationFragment, ...] | None = None
    selection_text: str = field(default="", compare=False)
    renames: tuple[tuple[str, str], ...] = ()
    root_keys: tuple[str, ...] = ()  # a root fetch's response keys (paths of its errors)
    context_rewrites: tuple[ContextRewrite, ...] = ()


@dataclass(frozen=True, slots=True)
class FlattenNode:
    """Run ``node`` once for all the objects found at ``path`` (``@`` steps into lists)."""

    path: tuple[str, ...]
    node: FetchNode


@dataclass(frozen=True, slots=True)
class BatchNode:
    """Entity fetches of one subgraph at different paths, run as one request: part ``i``'s
    ``_entities`` is aliased ``_e<i>`` and takes ``$representations<i>``."""

    service_name: str
    operation: str
    variable_usages: tuple[str, ...]
    parts: tuple[FlattenNode, ...]


@dataclass(frozen=True, slots=True)
class SequenceNode:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class ParallelNode:
    nodes: tuple[PlanNode, ...]


PlanNode = FetchNode | FlattenNode | BatchNode | SequenceNode | ParallelNode


@dataclass(frozen=True, slots=True)
class DeferredNode:
    """The fetches of one ``@defer`` fragment (the operation's mark ``id``, its ``label``): run
    once the first response's fetches have, on the objects of ``type_name`` at ``path`` (the
    fragment's place; ``@`` steps into lists); ``node`` is None when the fields the fragment
    asks for were all fetched already."""

    id: int
    label: str | None
    path: tuple[str, ...]
    type_name: str
    node: PlanNode | None


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The plan of one operation; ``node`` is None when no subgraph needs to be called;
    ``deferred``: the fragments delivered later (``@defer``), each run after ``node``."""

    node: PlanNode | None
    deferred: tuple[DeferredNode, ...] = ()

    def __str__(self) -> str:
        from .printer import print_plan

        return print_plan(self)
