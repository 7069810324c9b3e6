"""Golden query plans: ``cases/<name>.graphql`` planned and printed must equal ``<name>.plan``.

A case file starts with ``# key: value`` header lines: ``supergraph`` (required; a file in
``supergraphs/``), ``variables`` (JSON), ``operationName``, ``labels`` (the progressive
``@override`` labels active for the request, comma-separated) and ``defer`` (``true``: planned
for a client that reads incremental responses, ``@defer`` fragments as deferred fetches). A
``<name>.xfail`` file beside a case holds the reason the planner is known to get it wrong;
its ``.plan`` then holds the plan it *should* print (written by hand) and the case is a
strict xfail.

``UPDATE_GOLDEN=1 pytest tests/planner`` rewrites the ``.plan`` files of the other cases: read
every diff before committing it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gateway.pipeline import Gateway
from gateway.planner.overrides import parse_label_header
from gateway.supergraph import load_supergraph

HERE = Path(__file__).parent
CASES = HERE / "cases"
SUPERGRAPHS = HERE / "supergraphs"
ELSEWHERE = {"zoo": HERE.parents[1] / "tools" / "difftest" / "zoo" / "supergraph.graphql"}
"""Supergraphs the cases name that the project keeps elsewhere (the difftest zoo's own)."""
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    name: str
    supergraph: str
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    labels: frozenset[str] = frozenset()
    defer: bool = False

    @property
    def plan_path(self) -> Path:
        return CASES / f"{self.name}.plan"


def read_case(path: Path) -> Case:
    """Read a case file and its ``# key: value`` header."""
    query = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in query.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header[key.strip()] = value.strip()
    if "supergraph" not in header:
        raise ValueError(f"{path.name}: no '# supergraph: NAME' header")
    return Case(
        name=path.stem,
        supergraph=header["supergraph"],
        query=query,
        variables=json.loads(header["variables"]) if "variables" in header else None,
        operation_name=header.get("operationName"),
        labels=frozenset(parse_label_header(header.get("labels"))),
        defer=header.get("defer") == "true",
    )


@cache
def gateway_for(supergraph: str) -> Gateway:
    path = ELSEWHERE.get(supergraph, SUPERGRAPHS / f"{supergraph}.graphql")
    return Gateway(load_supergraph(path))


def case_params() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.graphql")):
        xfail = path.with_suffix(".xfail")
        marks = (
            [pytest.mark.xfail(strict=True, reason=xfail.read_text(encoding="utf-8").strip())]
            if xfail.exists()
            else []
        )
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", case_params())
def test_plan_matches_golden(path: Path) -> None:
    case = read_case(path)
    plan = gateway_for(case.supergraph).plan(
        case.query, case.operation_name, case.variables, labels=case.labels, defer=case.defer
    )
    printed = str(plan) + "\n"
    if UPDATE and not path.with_suffix(".xfail").exists():
        case.plan_path.write_text(printed, encoding="utf-8")
    assert case.plan_path.exists(), f"no golden plan: run with UPDATE_GOLDEN=1 ({case.name})"
    assert printed == case.plan_path.read_text(encoding="utf-8")


def test_every_golden_plan_has_its_case() -> None:
    orphans = {p.stem for p in CASES.glob("*.plan")} - {p.stem for p in CASES.glob("*.graphql")}
    assert orphans == set()


def test_every_xfail_note_has_its_case() -> None:
    orphans = {p.stem for p in CASES.glob("*.xfail")} - {p.stem for p in CASES.glob("*.graphql")}
    assert orphans == set()


def test_every_case_names_a_known_supergraph() -> None:
    known = {p.stem for p in SUPERGRAPHS.glob("*.graphql")} | set(ELSEWHERE)
    assert {read_case(p).supergraph for p in CASES.glob("*.graphql")} <= known
