"""What every resolver needs: a transaction, the acting principal, money and page helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info

from subgraphs.common.errors import BadUserInput, NotFound
from subgraphs.common.identity import current_principal
from subgraphs.common.money import DEFAULT_CURRENCY, Money, MoneyInput, parse_money
from subgraphs.common.pagination import Connection, paginate
from tandem_shared.db import transaction

__all__ = ["UNREAD", "actor", "connection", "found", "money", "money_input", "session"]

NodeT = TypeVar("NodeT")


@asynccontextmanager
async def session(info: Info[Any, Any]) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction for this resolver (the principal is checked first)."""
    current_principal(info)
    sessions: async_sessionmaker[AsyncSession] = info.context["sessions"]
    async with transaction(sessions) as db:
        yield db


def found(value: NodeT | None, what: str, key: str, *, field: str = "id") -> NodeT:
    """``value``, or ``NOT_FOUND`` naming ``field`` for a root field asked for an unknown
    ``key`` (as OA answers; an entity reference the gateway resolves stays null instead)."""
    if value is None:
        raise NotFound(f"No {what} {key}.", extensions={"field": field, "id": key})
    return value


def actor(info: Info[Any, Any]) -> str:
    """The subject the operation acts for (recorded on what it creates)."""
    return current_principal(info).subject


def money(value: Decimal, currency: str) -> Money:
    """A stored amount as ``Money`` (stored amounts never exceed the currency's places)."""
    return Money.of(value, currency)


UNREAD: tuple[Decimal, str] = (Decimal(0), DEFAULT_CURRENCY)
"""What a resolver passes on for an amount it could not read: its error is kept in the
mutation's ``InputChecks``, which the store raises with its own before using any value."""


def money_input(
    value: MoneyInput, field: str, *, allow_zero: bool = True, currency: str | None = None
) -> tuple[Decimal, str]:
    """A checked ``MoneyInput``: not negative, in ``currency`` if given, non-zero if asked."""
    amount, code = parse_money(value, field=f"{field}.amount")
    if currency is not None and code != currency:
        raise BadUserInput(f"Expected an amount in {currency}.", field=f"{field}.currency")
    if not allow_zero and amount == 0:
        raise BadUserInput("The amount must be positive.", field=f"{field}.amount")
    return amount, code


async def connection(
    db: AsyncSession,
    statement: Select[Any],
    order_by: list[Any],
    node: Callable[[Any], NodeT],
    *,
    first: int | None,
    after: str | None,
) -> Connection[NodeT]:
    """One page of ``statement`` as a ``Connection`` of ``node(row)``."""
    page = await paginate(db, statement, order_by, first=first, after=after)
    return page.to_connection(node)
