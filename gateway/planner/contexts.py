"""``@fromContext`` planning helpers: which contexts a type carries, the levels being planned
that carry them, and where a context selection's value is in the data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphql.language import SelectionSetNode

from ..operation import InlineSelection, Selection
from ..supergraph import Supergraph
from .groups import FetchGroup
from .internal import Reserved
from .selection import SelectionBuilder

__all__ = ["ContextLevel", "context_names", "data_keys"]


def context_names(supergraph: Supergraph, type_name: str) -> frozenset[str]:
    """The ``@context`` names objects of ``type_name`` carry (on it, its interfaces or the
    unions it belongs to)."""
    contexts = supergraph.contexts
    if not contexts:
        return frozenset()
    names = set(contexts.get(type_name, ()))
    for owner, owned in contexts.items():
        if owner != type_name and type_name in supergraph.possible_types(owner):
            names |= owned
    return frozenset(names)


@dataclass(frozen=True, eq=False)
class ContextLevel:
    """A level being planned whose objects carry ``@context`` names: where a descendant's
    ``@fromContext`` selection is fetched."""

    names: frozenset[str]
    group: FetchGroup
    builder: SelectionBuilder
    type_name: str
    path: tuple[str, ...]
    provided: SelectionSetNode | None
    reserved: Reserved


def data_keys(selections: Sequence[Selection], type_name: str) -> tuple[str, ...]:
    """The data keys leading to a context selection's value (its first field chain)."""
    for selection in selections:
        if isinstance(selection, InlineSelection):
            if selection.type_condition in (None, type_name):
                found = data_keys(selection.selections, type_name)
                if found:
                    return found
            continue
        if selection.name == "__typename":
            continue
        below = data_keys(selection.selections or (), "") if selection.selections else ()
        return (selection.key, *below)
    return ()
