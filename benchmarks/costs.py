"""The benchmark queries' demand-control costs: estimated, and actual on the reference answers.

The estimate is what Tandem's demand control computes before an operation runs (the
benchmark supergraph has no ``@listSize``, so every list counts the default list size, 10);
the actual cost applies the same rules to the lists the reference answer really holds. Both
come from ``gateway/demand/`` in this process, so they are the figures ``tandem serve`` would
report, and ``run.py`` prints them before loading the gateways. ``python benchmarks/costs.py``
prints them alone.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script without the project installed
    sys.path.insert(0, str(ROOT))

from gateway.demand import actual_cost  # noqa: E402
from gateway.pipeline import Gateway  # noqa: E402
from gateway.supergraph.loader import read_supergraph  # noqa: E402

__all__ = ["print_costs", "query_costs"]


def query_costs(
    supergraph_sdl: str,
    queries: Mapping[str, Mapping[str, Any]],
    references: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, int]]:
    """Query name -> ``{"estimated": ..., "actual": ...}``."""
    gateway = Gateway(read_supergraph(supergraph_sdl, source_name="benchmarks/supergraph"))
    costs: dict[str, dict[str, int]] = {}
    try:
        for name, query in queries.items():
            text = query["query"]
            parsed = gateway.document(text)
            operation = gateway.operation(parsed, query.get("operationName"))
            values = gateway.coerce_variables(operation, query.get("variables"))
            _, normalized = gateway.normalized(text, parsed, operation, values)
            estimated = gateway.demand.estimate(normalized, values).cost
            data = references[name].get("data")
            actual = actual_cost(gateway.demand.schema, normalized, values, data)
            costs[name] = {"estimated": estimated, "actual": actual}
    finally:
        asyncio.run(gateway.close())
    return costs


def print_costs(
    supergraph_sdl: str,
    queries: Mapping[str, Mapping[str, Any]],
    references: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, int]]:
    """Print :func:`query_costs` as a small table and return it."""
    costs = query_costs(supergraph_sdl, queries, references)
    print(f"{'query':<12} {'estimated cost':>15} {'actual cost':>12}")
    for name, cost in costs.items():
        print(f"{name:<12} {cost['estimated']:>15,} {cost['actual']:>12,}")
    return costs


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent / "subgraphs"))
    from reference import build_reference_schema, reference_response
    from run import SUPERGRAPH, load_queries

    sdl = SUPERGRAPH.read_text()
    schema = build_reference_schema(sdl)
    found = load_queries()
    answers = {
        n: reference_response(schema, q["query"], q.get("variables"), q.get("operationName"))
        for n, q in found.items()
    }
    print_costs(sdl, found, answers)
