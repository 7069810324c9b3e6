"""Cursor pagination: page sizes, opaque cursors, keyset pages and the GraphQL Connection."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import strawberry
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common.errors import BadUserInput
from subgraphs.common.money import DecimalAmount
from subgraphs.common.pagination import (
    Connection,
    Page,
    decode_cursor,
    encode_cursor,
    page_size,
    paginate,
)
from subgraphs.common.schema import create_schema
from tandem_shared.db import create_session_factory, transaction
from tandem_shared.timestamps import AwareDateTime


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    joined: Mapped[datetime] = mapped_column(AwareDateTime())
    salary: Mapped[Decimal] = mapped_column(DecimalAmount())


START = datetime(2026, 1, 1, tzinfo=UTC)
PEOPLE = [
    Person(
        id=f"p{n:02d}",
        name=["Li", "Wang", "Zhang"][n % 3],
        joined=START + timedelta(days=n % 5),
        salary=Decimal(1000 + n % 4) / 4,
    )
    for n in range(23)
]


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        session.add_all(
            Person(**{c: getattr(p, c) for c in ("id", "name", "joined", "salary")}) for p in PEOPLE
        )
    async with sessions() as session:
        yield session


async def walk(session: AsyncSession, order_by: list[Any], first: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = await paginate(session, select(Person), order_by, first=first, after=after)
        seen += [person.id for person in page.items]
        if not page.has_next_page:
            return seen
        after = page.cursors[-1]


@pytest.mark.anyio
@pytest.mark.parametrize("first", [1, 7, 23, 100])
async def test_walking_pages_returns_every_row_once_in_order(
    session: AsyncSession, first: int
) -> None:
    expected = [p.id for p in sorted(PEOPLE, key=lambda p: (p.name, p.id))]
    assert await walk(session, [Person.name, Person.id], first) == expected


@pytest.mark.anyio
async def test_descending_and_mixed_orders_page_correctly(session: AsyncSession) -> None:
    by_joined_desc = sorted(PEOPLE, key=lambda p: (-p.joined.timestamp(), p.id))
    assert await walk(session, [Person.joined.desc(), Person.id], 4) == [
        p.id for p in by_joined_desc
    ]

    by_salary_desc = sorted(PEOPLE, key=lambda p: (-p.salary, p.name, p.id))
    ordered = await walk(session, [Person.salary.desc(), Person.name.asc(), Person.id.asc()], 5)
    assert ordered == [p.id for p in by_salary_desc]


@pytest.mark.anyio
async def test_filters_and_an_existing_order_are_kept_and_replaced(session: AsyncSession) -> None:
    statement = select(Person).where(Person.name == "Li").order_by(Person.salary)
    page = await paginate(session, statement, [Person.id.desc()], first=3, after=None)
    lis = sorted((p.id for p in PEOPLE if p.name == "Li"), reverse=True)
    assert [p.id for p in page.items] == lis[:3]
    assert page.has_next_page


@pytest.mark.anyio
async def test_first_zero_returns_no_rows_but_says_more_exist(session: AsyncSession) -> None:
    page = await paginate(session, select(Person), [Person.id], first=0, after=None)
    assert page == Page(items=[], cursors=[], has_next_page=True)


@pytest.mark.anyio
async def test_a_cursor_of_another_order_is_bad_user_input(session: AsyncSession) -> None:
    page = await paginate(session, select(Person), [Person.name, Person.id], first=2, after=None)
    with pytest.raises(BadUserInput) as caught:
        await paginate(session, select(Person), [Person.id], first=2, after=page.cursors[-1])
    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "field": "after"}


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps({"o": 0, "k": [["x", 1]]}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"o": 0, "k": [["i", "1"]]}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"o": 0, "k": [["n", "NaN"]]}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([1, 2]).encode()).decode(),
        "",
    ],
)
def test_tampered_cursors_are_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput, match="Invalid cursor"):
        decode_cursor(cursor)


def test_cursors_round_trip_typed_values() -> None:
    values = ("Li", 3, True, Decimal("12.50"), START, date(2026, 1, 2), UUID(int=7))
    cursor = encode_cursor(values, "order")
    assert "=" not in cursor
    assert decode_cursor(cursor, "order") == values
    with pytest.raises(BadUserInput):
        decode_cursor(cursor, "another order")
    with pytest.raises(BadUserInput):
        decode_cursor(cursor, "order", arity=2)


def test_a_cursor_carries_no_readable_value() -> None:
    """Issue 10, item 4: the sort key is sealed, so a cursor reveals no field value."""
    values = ("CUS-0042", "Shanghai Trading", 123456789, Decimal("98765.43"), START)
    cursor = encode_cursor(values, "order")
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    readable = [cursor.encode(), raw, raw.decode("latin-1").encode()]
    for secret in ("CUS-0042", "Shanghai", "123456789", "98765", "2026"):
        assert not any(secret.encode() in text for text in readable), secret
    with pytest.raises(ValueError):
        json.loads(raw)
    assert encode_cursor(values, "order") != cursor  # a fresh nonce each time


def test_cursor_lengths_hide_value_lengths() -> None:
    short, long = encode_cursor(("A",), "o"), encode_cursor(("A" * 20,), "o")
    assert len(short) == len(long)


def test_a_cursor_sealed_under_another_key_is_bad_user_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cursor = encode_cursor(("CUS-0001", 1), "order")
    other = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
    monkeypatch.setenv("TANDEM_BLIND_INDEX_KEY", other)
    with pytest.raises(BadUserInput, match="Invalid cursor"):
        decode_cursor(cursor, "order")
    assert decode_cursor(encode_cursor(("CUS-0001", 1), "order"), "order") == ("CUS-0001", 1)


@pytest.mark.parametrize(("first", "size"), [(None, 20), (0, 0), (5, 5), (100, 100)])
def test_page_size_defaults_and_limits(first: int | None, size: int) -> None:
    assert page_size(first) == size


@pytest.mark.parametrize("first", [-1, 101])
def test_page_size_out_of_range_is_bad_user_input(first: int) -> None:
    with pytest.raises(BadUserInput) as caught:
        page_size(first)
    assert caught.value.field == "first"


@strawberry.type
class Employee:
    id: strawberry.ID


PAGE = Page(items=["e1", "e2"], cursors=["c1", "c2"], has_next_page=True)


@strawberry.type
class Query:
    @strawberry.field
    def employees(self, first: int | None = None, after: str | None = None) -> Connection[Employee]:
        return PAGE.to_connection(lambda item: Employee(id=strawberry.ID(item)))


def test_the_connection_answers_edges_and_page_info() -> None:
    schema = create_schema(query=Query)
    result = schema.execute_sync(
        "{ employees(first: 2) {"
        " edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"
    )
    assert result.errors is None
    assert result.data == {
        "employees": {
            "edges": [
                {"cursor": "c1", "node": {"id": "e1"}},
                {"cursor": "c2", "node": {"id": "e2"}},
            ],
            "pageInfo": {"hasNextPage": True, "endCursor": "c2"},
        }
    }
    sdl = schema.as_str()
    assert "type EmployeeConnection @shareable" in sdl
    assert "type PageInfo @shareable" in sdl
