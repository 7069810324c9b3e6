"""Reference answers: the benchmark queries executed against one monolithic schema.

The API schema is built straight from the committed supergraph (graphql-core ignores the
join/link directives) and resolved over the same ``data.py`` objects, without any
federation.  What a gateway returns must deep-equal this.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data
from graphql import GraphQLSchema, build_schema, graphql_sync


def build_reference_schema(supergraph_sdl: str) -> GraphQLSchema:
    schema = build_schema(supergraph_sdl)
    users = {u["id"]: {**u, "recentlyViewed": [], "reviews": []} for u in data.users()}
    products = {}
    for p in data.products():
        products[p["upc"]] = {
            **p,
            "inStock": data.in_stock(p["upc"]),
            "shippingEstimate": data.shipping_estimate(p["price"], p["weight"]),
            "stock": data.stock()[p["upc"]],
            "reviews": [],
            "reviewCount": 0,
        }
    for uid, upcs in data.recently_viewed().items():
        users[uid]["recentlyViewed"] = [products[u] for u in upcs]
    all_reviews = []
    for r in data.reviews():
        review = {
            "id": r["id"],
            "body": r["body"],
            "rating": r["rating"],
            "author": users[r["author_id"]],
            "product": products[r["upc"]],
        }
        all_reviews.append(review)
        users[r["author_id"]]["reviews"].append(review)
        products[r["upc"]]["reviews"].append(review)
        products[r["upc"]]["reviewCount"] += 1
    ordered_users = list(users.values())
    ordered_products = list(products.values())
    latest = list(reversed(all_reviews))

    resolvers: dict[str, Any] = {
        "me": lambda _r, _i: users[data.ME_ID],
        "user": lambda _r, _i, id: users.get(id),
        "users": lambda _r, _i, first=10: ordered_users[: max(first, 0)],
        "topProducts": lambda _r, _i, first=5: ordered_products[: max(first, 0)],
        "product": lambda _r, _i, upc: products.get(upc),
        "latestReviews": lambda _r, _i, first=10: latest[: max(first, 0)],
    }
    query = schema.query_type
    assert query is not None
    for field, fn in resolvers.items():
        query.fields[field].resolve = fn
    return schema


def reference_response(
    schema: GraphQLSchema,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    result = graphql_sync(schema, query, variable_values=variables, operation_name=operation_name)
    if result.errors:
        raise RuntimeError(f"reference execution failed: {[e.message for e in result.errors]}")
    return result.formatted  # type: ignore[return-value]
