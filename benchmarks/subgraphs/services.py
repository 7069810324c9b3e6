"""The four benchmark subgraphs: accounts, products, inventory, reviews.

Objects are plain dicts built once from ``data.py``; graphql-core's default resolver reads
dict keys, so only root fields, entity lookups and ``@requires`` fields need code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import data
from federation import build_subgraph_schema
from graphql import GraphQLSchema

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
NAMES = ("accounts", "products", "inventory", "reviews")


def sdl_of(name: str) -> str:
    return (SCHEMA_DIR / f"{name}.graphql").read_text()


def accounts() -> GraphQLSchema:
    by_id = {u["id"]: u for u in data.users()}
    return build_subgraph_schema(
        sdl_of("accounts"),
        {
            "Query.me": lambda _r, _i: by_id[data.ME_ID],
            "Query.user": lambda _r, _i, id: by_id.get(id),
            "Query.users": lambda _r, _i, first=10: data.users()[: max(first, 0)],
        },
        {"User": lambda rep: by_id.get(rep["id"])},
    )


def products() -> GraphQLSchema:
    by_upc = {p["upc"]: p for p in data.products()}
    users = {
        uid: {"id": uid, "recentlyViewed": [by_upc[u] for u in upcs]}
        for uid, upcs in data.recently_viewed().items()
    }
    return build_subgraph_schema(
        sdl_of("products"),
        {
            "Query.topProducts": lambda _r, _i, first=5: data.products()[: max(first, 0)],
            "Query.product": lambda _r, _i, upc: by_upc.get(upc),
        },
        {
            "Product": lambda rep: by_upc.get(rep["upc"]),
            "User": lambda rep: users.get(rep["id"]),
        },
    )


def inventory() -> GraphQLSchema:
    stock = data.stock()
    base = {
        u: {"upc": u, "inStock": data.in_stock(u), "stock": levels} for u, levels in stock.items()
    }

    def product(rep: dict[str, Any]) -> dict[str, Any] | None:
        obj = base.get(rep["upc"])
        if obj is None:
            return None
        if "price" in rep or "weight" in rep:  # @requires(fields: "price weight")
            obj = {**obj, "price": rep.get("price"), "weight": rep.get("weight")}
        return obj

    def shipping_estimate(obj: dict[str, Any], _info: Any) -> int:
        if obj.get("price") is None or obj.get("weight") is None:
            raise ValueError("shippingEstimate needs price and weight (@requires)")
        return data.shipping_estimate(obj["price"], obj["weight"])

    return build_subgraph_schema(
        sdl_of("inventory"),
        {},
        {"Product": product},
        {"Product.shippingEstimate": shipping_estimate},
    )


def reviews() -> GraphQLSchema:
    users = {
        u["id"]: {"id": u["id"], "username": u["username"], "reviews": []} for u in data.users()
    }
    products = {
        p["upc"]: {"upc": p["upc"], "reviews": [], "reviewCount": 0} for p in data.products()
    }
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
    by_id = {r["id"]: r for r in all_reviews}
    latest = list(reversed(all_reviews))
    return build_subgraph_schema(
        sdl_of("reviews"),
        {"Query.latestReviews": lambda _r, _i, first=10: latest[: max(first, 0)]},
        {
            "Review": lambda rep: by_id.get(rep["id"]),
            "User": lambda rep: users.get(rep["id"]),
            "Product": lambda rep: products.get(rep["upc"]),
        },
    )


BUILDERS = {"accounts": accounts, "products": products, "inventory": inventory, "reviews": reviews}
