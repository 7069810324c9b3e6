"""Which policy changes grant something sensitive, and so need a second administrator.

``policies/sensitive.csv`` lists the sensitive coordinates as ``object glob, action`` pairs
(salaries, identity numbers, bank accounts, the policy itself, plaintext and masks of every
encrypted field). A change *grants* one of them when, compared with the policy before it:

- it adds an ``allow`` rule whose object overlaps a sensitive glob and whose action overlaps
  its action (``*`` overlaps every action);
- it removes a ``deny`` rule that overlaps one (what was withheld becomes reachable);
- it adds a role assignment (a ``g`` row): the role's grants are not inspected, every new
  membership is treated as a grant (fail closed).

Objects are globs on both sides (``*`` any run of characters, ``?`` one), and two globs
overlap when some coordinate matches both: a rule on ``Employee.*`` covers
``Employee.salary``, the sensitive ``Policy*.*`` covers a rule on ``PolicyAdmin.rules``, and
``*.sal*`` overlaps ``Employee.salary``. The test is exact for ``*``/``?`` globs (casbin's
``globMatch`` also treats ``[...]`` specially; the rule validator refuses brackets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..caching import BoundedCache
from ..errors import TandemError

__all__ = ["DEFAULT_SENSITIVE_FILE", "SensitiveCoordinates", "globs_overlap"]

DEFAULT_SENSITIVE_FILE = Path(__file__).resolve().parents[2] / "policies" / "sensitive.csv"

PolicyLine = tuple[str, ...]


_OVERLAPS: BoundedCache[tuple[str, str], bool] = BoundedCache(65_536)
"""Pairs already compared: each change is checked against every sensitive pattern."""


def globs_overlap(left: str, right: str) -> bool:
    """Whether some string matches both ``*``/``?`` globs."""
    known = _OVERLAPS.get((left, right))
    if known is None:
        known = _OVERLAPS.put((left, right), _overlap(left, right))
    return known


def _overlap(left: str, right: str) -> bool:
    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(left) and j == len(right):
            return True
        if i < len(left) and left[i] == "*":
            return meet(i + 1, j) or (j < len(right) and meet(i, j + 1))
        if j < len(right) and right[j] == "*":
            return meet(i, j + 1) or (i < len(left) and meet(i + 1, j))
        if i == len(left) or j == len(right):
            return False
        a, b = left[i], right[j]
        return (a == b or a == "?" or b == "?") and meet(i + 1, j + 1)

    return meet(0, 0)


def _actions_overlap(left: str, right: str) -> bool:
    return left == "*" or right == "*" or left == right


@dataclass(frozen=True, slots=True)
class SensitiveCoordinates:
    """The sensitive ``(object glob, action)`` pairs, and the test of a change against them."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, path: str | Path = DEFAULT_SENSITIVE_FILE) -> SensitiveCoordinates:
        """Read ``path``: ``object, action`` lines; ``#`` comments and blank lines skipped.

        A file that cannot be read or holds a malformed line stops the gateway (fail closed:
        a typo must not switch four-eyes off silently)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise TandemError(f"sensitive coordinates: cannot read {path}: {error}") from None
        entries: list[tuple[str, str]] = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [part.strip() for part in line.split(",")]
            if len(parts) != 2 or not all(parts):
                raise TandemError(f"{path}:{number}: expected 'object glob, action': {line!r}")
            entries.append((parts[0], parts[1]))
        return cls(tuple(entries))

    def covers(self, obj: str, action: str) -> bool:
        """Whether a rule on ``obj`` for ``action`` touches a sensitive coordinate."""
        return any(
            _actions_overlap(action, act) and globs_overlap(obj, pattern)
            for pattern, act in self.entries
        )

    def grants(
        self, added: Iterable[PolicyLine], removed: Iterable[PolicyLine]
    ) -> tuple[PolicyLine, ...]:
        """The lines of a change (added or removed) that grant something sensitive."""
        found: list[PolicyLine] = []
        for line in added:
            if line[:1] == ("g",) or (_is_rule(line, "allow") and self.covers(line[3], line[4])):
                found.append(line)
        for line in removed:
            if _is_rule(line, "deny") and self.covers(line[3], line[4]):
                found.append(line)
        return tuple(found)


def _is_rule(line: Sequence[str], effect: str) -> bool:
    """A ``p`` line (type, subject, domain, object, action[, effect]) with ``effect``."""
    if line[:1] != ("p",) or len(line) < 5:
        return False
    return (line[5] if len(line) > 5 else "allow") == effect
