"""A gateway built by ``build_app`` from settings, served in-process, routing to the demo
subgraphs (real processes); and the requests Apollo's and Hive's clients send."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from gateway.http.factory import build_app
from gateway.settings import Settings
from subgraphs.demo.people.data import people_store

__all__ = ["FIRST", "WHO", "apq", "error_of", "serving", "sha256", "who_answer"]

FIRST = people_store().employees[0]
WHO = "query Who($id: ID!) { employee(id: $id) { name } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(query: str, *, sha: str | None = None, text: bool = False) -> dict[str, Any]:
    """An APQ request body: the hash of ``query`` (or ``sha``), and the text when ``text``."""
    persisted = {"version": 1, "sha256Hash": sha if sha is not None else sha256(query)}
    body: dict[str, Any] = {"extensions": {"persistedQuery": persisted}}
    if text:
        body["query"] = query
    return body


def who_answer() -> dict[str, Any]:
    return {"data": {"employee": {"name": FIRST.name}}}


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The one error of a refused request (no ``data``)."""
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    return dict(error)


@asynccontextmanager
async def serving(
    supergraph: Path, data_dir: Path, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway ``tandem serve`` would build from these settings, started (lifespan)."""
    app = build_app(Settings(supergraph=supergraph, data_dir=data_dir, **settings))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://tandem.test"
        ) as client,
    ):
        yield client
