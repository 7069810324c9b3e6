"""Progressive ``@override(label:)``: which override labels are in effect for one request.

A supergraph field may carry ``@join__field(override: "a", overrideLabel: L)`` in the graph
that takes the field over and ``@join__field(overrideLabel: L)`` in the graph it is taken
from (Federation 2.7). When ``L`` is active the overriding graph resolves the field; when not,
the original graph still does. ``percent(N)`` labels are active for a random N% of requests;
any other label is active when the request names it (through the header the gateway is
configured to read). Decided once per request, before planning: the active set is part of
the plan cache key, and only labels the supergraph uses are kept, so the key stays small.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..supergraph import Supergraph

__all__ = ["OverrideLabels", "parse_label_header"]

_PERCENT = re.compile(r"percent\((\d+(?:\.\d+)?)\)")


def parse_label_header(value: str | None) -> tuple[str, ...]:
    """Labels named in a header value: comma- or space-separated."""
    if not value:
        return ()
    return tuple(label for label in re.split(r"[,\s]+", value) if label)


@dataclass(frozen=True)
class OverrideLabels:
    """The override labels of a supergraph: percentages and named labels."""

    percentages: tuple[tuple[str, float], ...]
    named: frozenset[str]

    @classmethod
    def of(cls, supergraph: Supergraph) -> OverrideLabels:
        labels = {
            join.override_label
            for meta in supergraph.types.values()
            for field in meta.fields.values()
            for join in field.joins
            if join.override_label
        }
        percentages = []
        named = set()
        for label in sorted(labels):
            match = _PERCENT.fullmatch(label)
            if match:
                percentages.append((label, float(match.group(1))))
            else:
                named.add(label)
        return cls(tuple(percentages), frozenset(named))

    def __bool__(self) -> bool:
        return bool(self.percentages or self.named)

    def decide(
        self, requested: Iterable[str] = (), chance: random.Random | None = None
    ) -> frozenset[str]:
        """The labels active for one request: those it names that the supergraph uses, and
        each ``percent(N)`` label with probability N%."""
        if not self:
            return frozenset()
        draw = (chance or random).random
        active = {label for label in requested if label in self.named}
        active.update(label for label, percent in self.percentages if draw() * 100 < percent)
        return frozenset(active)
