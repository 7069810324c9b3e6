"""Compare three gateways' answers to one operation and name the class of a difference.

Answers are compared as the federation audit compares them: ``data`` deep-equal, ``errors``
only as present or absent. A *verdict* says who is alone; a *class* names where and how
Tandem's answer first differs from the references' (kind of difference, the field's name, and
the response path with list positions as ``@``), so that many generated operations hitting
one bug count as one class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Outcome", "compare", "first_difference"]

TANDEM_ALONE = "tandem-alone"  # both references agree, Tandem does not: a Tandem bug
SAME = "same"


@dataclass(frozen=True)
class Outcome:
    verdict: str  # same | tandem-alone | apollo-alone | hive-alone | all-differ
    kind: str = ""  # how Tandem differs from the references, for tandem-alone
    path: str = ""


def _view(body: dict[str, Any]) -> tuple[Any, bool, str | None]:
    return body.get("data"), bool(body.get("errors")), body.get("transport")


def compare(tandem: dict[str, Any], apollo: dict[str, Any], hive: dict[str, Any]) -> Outcome:
    t, a, h = _view(tandem), _view(apollo), _view(hive)
    if t == a == h:
        return Outcome(SAME)
    if a == h:
        kind, path = first_difference(t[0], a[0])
        if not kind:
            kind = "transport" if t[2] else "errors-presence"
        return Outcome(TANDEM_ALONE, kind, path)
    if t == a:
        return Outcome("hive-alone")
    if t == h:
        return Outcome("apollo-alone")
    return Outcome("all-differ")


def first_difference(mine: Any, reference: Any, path: tuple[str, ...] = ()) -> tuple[str, str]:
    """``(kind, path)`` of the first place ``mine`` differs from ``reference``; ``("", "")``
    when they are equal."""
    where = ".".join(path) or "(root)"
    if mine == reference:
        return "", ""
    if mine is None:
        return "null-where-references-have-a-value", where
    if reference is None:
        return "value-where-references-have-null", where
    if isinstance(mine, dict) and isinstance(reference, dict):
        for key in reference:
            if key not in mine:
                return "missing-key", ".".join((*path, key))
        for key in mine:
            if key not in reference:
                return "extra-key", ".".join((*path, key))
        for key in reference:
            found = first_difference(mine[key], reference[key], (*path, key))
            if found[0]:
                return found
    if isinstance(mine, list) and isinstance(reference, list):
        if len(mine) != len(reference):
            return "list-length", where
        for item, other in zip(mine, reference, strict=True):
            found = first_difference(item, other, (*path, "@"))
            if found[0]:
                return found
    if path and path[-1] == "__typename":
        return "typename-differs", where
    return "value-differs", where
