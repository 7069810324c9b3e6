"""The zoo: three small subgraphs that use interfaces, unions, ``@interfaceObject``,
``@provides`` (on an interface-typed list), ``@requires``, ``@override`` and ``@shareable``
together, for differential testing. All three are served by one process, each under its path:

    .venv/bin/python tools/difftest/zoo/server.py --port 4601    # /shelter, /vet, /registry

``supergraph.graphql`` beside this file is their composition (``tools/compose``). The data is
fixed and small; every resolver answers from it, so any difference between gateways comes
from the gateways.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from graphql import GraphQLSchema, graphql_sync
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "benchmarks" / "subgraphs"))
from federation import build_subgraph_schema  # noqa: E402

ANIMALS: dict[str, dict[str, Any]] = {
    "c1": {"__typename": "Cat", "id": "c1", "name": "Tom", "age": 3, "weight": 4.5},
    "d1": {"__typename": "Dog", "id": "d1", "name": "Rex", "age": 5, "vaccinated": True},
    "c2": {"__typename": "Cat", "id": "c2", "name": "Kit", "age": 1, "weight": 2.0},
    "d2": {"__typename": "Dog", "id": "d2", "name": "Ace", "age": 9, "vaccinated": False},
}
OWNERS: dict[str, dict[str, Any]] = {
    "o1": {"id": "o1", "name": "Ann", "email": "ann@example.com", "pets": ["c1", "d1"]},
    "o2": {"id": "o2", "name": "Bob", "email": "bob@example.com", "pets": ["c2"]},
}
CHECKUPS = [
    {"date": "2026-01-02", "patient": "c1"},
    {"date": "2026-02-03", "patient": "d2"},
]


def _sdl(name: str) -> str:
    return (HERE / "schemas" / f"{name}.graphql").read_text(encoding="utf-8")


def _animal(keys: tuple[str, ...]) -> Any:
    def resolve(rep: dict[str, Any]) -> dict[str, Any] | None:
        found = ANIMALS.get(rep["id"])
        if found is None:
            return None
        return {k: found[k] for k in ("__typename", "id", *keys) if k in found}

    return resolve


def shelter() -> GraphQLSchema:
    def owner(rep: dict[str, Any]) -> dict[str, Any] | None:
        found = OWNERS.get(rep["id"])
        return None if found is None else {**found, "pets": [ANIMALS[p] for p in found["pets"]]}

    return build_subgraph_schema(
        _sdl("shelter"),
        {
            "Query.animals": lambda *_: list(ANIMALS.values()),  # age: @provides
            "Query.pets": lambda *_: [_animal(("name",))(a) for a in ANIMALS.values()],
            "Query.owners": lambda *_: [owner(o) for o in OWNERS.values()],
            "Query.owner": lambda _r, _i, id: owner({"id": id}),
        },
        # Animal: registry's @interfaceObject representations, answered with the real type
        {
            "Animal": _animal(()),
            "Cat": _animal(("name",)),
            "Dog": _animal(("name",)),
            "Owner": owner,
        },
    )


def vet() -> GraphQLSchema:
    return build_subgraph_schema(
        _sdl("vet"),
        {
            "Query.checkups": lambda *_: [
                {"date": c["date"], "patient": ANIMALS[c["patient"]]} for c in CHECKUPS
            ]
        },
        {"Cat": _animal(("name", "age", "weight")), "Dog": _animal(("age", "vaccinated"))},
    )


def registry() -> GraphQLSchema:
    def animal(rep: dict[str, Any]) -> dict[str, Any] | None:
        found = ANIMALS.get(rep["id"])
        return None if found is None else {"__typename": "Animal", "id": rep["id"],
                                           "microchip": f"chip-{rep['id']}"}  # fmt: skip

    def cat(rep: dict[str, Any]) -> dict[str, Any] | None:
        if rep["id"] not in ANIMALS:
            return None
        return {"id": rep["id"], "weight": rep.get("weight")}

    def dosage(obj: dict[str, Any], _info: Any) -> str:
        if obj.get("weight") is None:
            raise ValueError("dosage needs weight (@requires)")
        return f"{obj['weight'] * 10:.0f} mg"

    def owner(rep: dict[str, Any]) -> dict[str, Any] | None:
        found = OWNERS.get(rep["id"])
        return None if found is None else {"id": found["id"], "name": found["name"],
                                           "email": found["email"]}  # fmt: skip

    return build_subgraph_schema(
        _sdl("registry"),
        {
            "Query.registered": lambda *_: [animal({"id": i}) for i in ANIMALS],
            "Query.checkups": lambda *_: [{"date": c["date"]} for c in CHECKUPS],
        },
        {"Animal": animal, "Cat": cat, "Owner": owner},
        {"Cat.dosage": dosage},
    )


def app() -> Starlette:
    schemas = {"shelter": shelter(), "vet": vet(), "registry": registry()}

    async def graphql(request: Request) -> Response:
        schema = schemas[request.path_params["name"]]
        body = orjson.loads(await request.body())
        result = graphql_sync(schema, body["query"], variable_values=body.get("variables"))
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [error.formatted for error in result.errors]
        return Response(orjson.dumps(out), media_type="application/json")

    return Starlette(routes=[Route("/{name}", graphql, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4601)
    args = parser.parse_args()
    uvicorn.run(app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
