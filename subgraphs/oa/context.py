"""What resolvers take from a request's context: sessions, the acting principal, loaders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info

from subgraphs.common.identity import current_principal
from subgraphs.common.live import notify_feed
from subgraphs.oa.loaders import Loaders
from subgraphs.oa.store.files import FileStore
from subgraphs.oa.store.people import Actor
from tandem_shared.db import transaction

__all__ = ["actor", "change", "files", "fresh_loaders", "loaders", "sessions"]

_LOADERS = "oa.loaders"


def sessions(info: Info[Any, Any]) -> async_sessionmaker[AsyncSession]:
    """The session factory the app's lifespan put into every request's context."""
    factory: async_sessionmaker[AsyncSession] = info.context["sessions"]
    return factory


def files(info: Info[Any, Any]) -> FileStore:
    """The document file store the app's lifespan put into every request's context."""
    store: FileStore = info.context["files"]
    return store


def actor(info: Info[Any, Any]) -> Actor:
    """The acting principal (``UNAUTHENTICATED`` without one): its subject is an employee id."""
    principal = current_principal(info)
    return Actor(employee_id=principal.subject, roles=frozenset(principal.roles))


def loaders(info: Info[Any, Any]) -> Loaders:
    """This request's data loaders, created on first use."""
    found = info.context.get(_LOADERS)
    if not isinstance(found, Loaders):
        found = Loaders(sessions(info))
        info.context[_LOADERS] = found
    return found


def fresh_loaders(info: Info[Any, Any]) -> None:
    """Forget this context's loaders: a subscription's context lives as long as its socket,
    and each event must read the rows as they are now, not as the first event cached them."""
    info.context.pop(_LOADERS, None)


@asynccontextmanager
async def change(info: Info[Any, Any]) -> AsyncIterator[AsyncSession]:
    """The transaction of a mutation. The request's loaders are dropped first, so the fields
    of this mutation's result (resolved after the commit) never see what an earlier mutation
    of the same operation cached."""
    info.context.pop(_LOADERS, None)
    async with transaction(sessions(info)) as session:
        yield session
    notify_feed(info)  # the subscriptions read what it recorded now (common/live.py)
