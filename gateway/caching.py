"""The one cache type of the gateway: least recently used entries leave first.

Every cache the gateway keeps between requests is a :class:`BoundedCache` (cachetools'
``LRUCache`` underneath), bounded in entries and, where one entry may be tiny or hold a plan
of thousands of fields, in estimated bytes as well (``put``'s ``weight``). An entry heavier
than the whole byte bound is handed back and never kept. A lock guards each operation: a
visible schema is built off the event loop and policy decisions are asked from threads, and
cachetools' caches are not thread-safe by themselves.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

from cachetools import LRUCache

__all__ = ["BoundedCache"]

K = TypeVar("K")
V = TypeVar("V")


class _Entries(LRUCache[K, tuple[V, int]]):
    """An LRU of ``(value, weight)`` pairs bounded by their total weight and their number."""

    def __init__(self, entries: int, max_weight: float) -> None:
        super().__init__(max_weight, getsizeof=_weight_of)
        self.entries = entries

    def __setitem__(self, key: K, value: tuple[V, int]) -> None:
        super().__setitem__(key, value)
        while len(self) > self.entries:
            self.popitem()


def _weight_of(entry: tuple[object, int]) -> int:
    return entry[1]


class BoundedCache(Generic[K, V]):
    """At most ``entries`` entries and, when ``max_bytes`` is given, at most that many
    estimated bytes (the sum of the weights given to :meth:`put`)."""

    def __init__(self, entries: int, max_bytes: int | None = None) -> None:
        if entries < 1:
            raise ValueError(f"a cache holds at least one entry, not {entries!r}")
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: _Entries[K, V] = _Entries(
            entries, float("inf") if max_bytes is None else max_bytes
        )

    @property
    def entries(self) -> int:
        """The bound on the number of entries."""
        return self._entries.entries

    @property
    def bytes(self) -> int:
        """The estimated bytes held (the weights of the entries kept)."""
        return int(self._entries.currsize)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        """The value kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: K, value: V, weight: int = 0) -> V:
        """Keep ``value`` under ``key`` (least recently used entries leave to make room) and
        return it; one heavier than the whole byte bound is returned without being kept."""
        with self._lock:
            if self.max_bytes is not None and weight > self.max_bytes:
                self._entries.pop(key, None)
            else:
                self._entries[key] = (value, weight)
        return value

    def values(self) -> list[V]:
        """The values kept (a copy: the cache may change meanwhile)."""
        with self._lock:
            return [entry[0] for entry in self._entries.values()]

    def pop(self, key: K) -> V | None:
        """Forget ``key``; its value, or None."""
        with self._lock:
            entry = self._entries.pop(key, None)
        return None if entry is None else entry[0]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
