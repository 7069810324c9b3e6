"""Batched loaders over a store's ``*_by_*`` reads: one query per relation, however many
parents a page lists (the N+1 a field resolver would otherwise make).

A store read takes a session and the keys, and answers a mapping; a key it has no row for
reads as ``None`` (:func:`one`) or ``[]`` (:func:`many`). Each batch opens its own short
transaction: resolvers run concurrently, and a session must not be shared between them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from tandem_shared.db import transaction

__all__ = ["Fetch", "many", "one"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[AsyncSession, Sequence[K]], Awaitable[Mapping[K, V]]]
"""A store read answering every key it found at once."""


def one(sessions: async_sessionmaker[AsyncSession], fetch: Fetch[K, V]) -> DataLoader[K, V | None]:
    """A loader of at most one value per key."""

    async def load(keys: list[K]) -> list[V | None]:
        async with transaction(sessions) as session:
            found = await fetch(session, keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def many(
    sessions: async_sessionmaker[AsyncSession], fetch: Fetch[K, list[V]]
) -> DataLoader[K, list[V]]:
    """A loader of a list per key (empty for a key without rows)."""

    async def load(keys: list[K]) -> list[list[V]]:
        async with transaction(sessions) as session:
            found = await fetch(session, keys)
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)
