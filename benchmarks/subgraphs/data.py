"""Deterministic, static data set shared by the benchmark subgraphs and the reference executor.

Everything is derived from integer arithmetic (no ``random``), so every process on every
machine builds exactly the same data.  The data never changes while a benchmark runs, which
is what allows the subgraph servers to memoize responses by request body.
"""

from __future__ import annotations

from functools import cache
from typing import Any

N_USERS = 120
N_PRODUCTS = 240
N_WAREHOUSES = 6
ME_ID = "u1"

_FIRST = [
    "Ada",
    "Brian",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
]
_LAST = [
    "Alvarez",
    "Becker",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Laurent",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
]
_CITIES = [
    ("Lyon", "France"),
    ("Porto", "Portugal"),
    ("Leipzig", "Germany"),
    ("Turin", "Italy"),
    ("Ghent", "Belgium"),
    ("Bergen", "Norway"),
    ("Kraków", "Poland"),
    ("Utrecht", "Netherlands"),
]
_STREETS = [
    "Harbour Road",
    "Mill Lane",
    "Station Street",
    "Chestnut Avenue",
    "Quay Side",
    "Market Square",
    "Linden Allee",
    "Rue des Forges",
]
_ADJ = [
    "Compact",
    "Rugged",
    "Silent",
    "Modular",
    "Wireless",
    "Ergonomic",
    "Solar",
    "Folding",
    "Heavy-duty",
    "Smart",
    "Classic",
    "Portable",
]
_NOUN = [
    "Drill",
    "Kettle",
    "Lamp",
    "Backpack",
    "Router",
    "Chair",
    "Keyboard",
    "Tent",
    "Scale",
    "Speaker",
    "Bicycle Pump",
    "Thermos",
    "Monitor Arm",
    "Toolbox",
]
_CATEGORIES = [
    "Tools",
    "Kitchen",
    "Lighting",
    "Outdoor",
    "Networking",
    "Furniture",
    "Peripherals",
    "Audio",
    "Sports",
    "Office",
    "Garden",
    "Travel",
]
_TAGS = ["eco", "bestseller", "new", "refurbished", "bundle", "limited", "warranty-3y", "clearance"]
_WORDS = [
    "solid",
    "build",
    "quality",
    "would",
    "buy",
    "again",
    "arrived",
    "quickly",
    "the",
    "battery",
    "lasts",
    "longer",
    "than",
    "expected",
    "a",
    "little",
    "noisy",
    "at",
    "full",
    "power",
    "instructions",
    "were",
    "unclear",
    "but",
    "support",
    "helped",
    "great",
    "value",
    "for",
    "the",
    "price",
    "colour",
    "matches",
    "the",
    "photos",
    "packaging",
    "was",
    "damaged",
    "works",
    "fine",
    "after",
    "a",
    "firmware",
    "update",
    "heavier",
    "than",
    "it",
    "looks",
    "perfect",
    "for",
    "small",
    "flats",
]
_WAREHOUSE_NAMES = ["North Hub", "East Depot", "South Yard", "West Dock", "Central", "Airport"]


def _h(*parts: int) -> int:
    """Small deterministic integer hash (Knuth multiplicative + xorshift)."""
    x = 0x9E3779B1
    for p in parts:
        x = (x ^ (p + 0x7F4A7C15)) * 2654435761 & 0xFFFFFFFF
        x ^= x >> 15
    return x


def user_id(i: int) -> str:
    return f"u{i}"


def upc(i: int) -> str:
    return f"p{i:04d}"


@cache
def users() -> list[dict[str, Any]]:
    out = []
    for i in range(1, N_USERS + 1):
        first = _FIRST[_h(i, 1) % len(_FIRST)]
        last = _LAST[_h(i, 2) % len(_LAST)]
        city, country = _CITIES[_h(i, 3) % len(_CITIES)]
        out.append(
            {
                "id": user_id(i),
                "name": f"{first} {last}",
                "username": f"{first.lower()}.{last.lower()}{i}",
                "email": f"{first.lower()}.{last.lower()}{i}@example.test",
                "address": {
                    "street": f"{1 + _h(i, 4) % 199} {_STREETS[_h(i, 5) % len(_STREETS)]}",
                    "city": city,
                    "country": country,
                },
            }
        )
    return out


@cache
def products() -> list[dict[str, Any]]:
    out = []
    for i in range(1, N_PRODUCTS + 1):
        cat = _h(i, 11) % len(_CATEGORIES)
        ntags = 1 + _h(i, 12) % 3
        tags = sorted({_TAGS[_h(i, 13, k) % len(_TAGS)] for k in range(ntags)})
        out.append(
            {
                "upc": upc(i),
                "name": f"{_ADJ[_h(i, 14) % len(_ADJ)]} {_NOUN[_h(i, 15) % len(_NOUN)]} {i}",
                "price": 499 + _h(i, 16) % 50000,
                "weight": 50 + _h(i, 17) % 12000,
                "category": {"id": f"c{cat + 1}", "name": _CATEGORIES[cat]},
                "tags": tags,
            }
        )
    return out


@cache
def warehouses() -> list[dict[str, Any]]:
    return [
        {"id": f"w{k + 1}", "name": _WAREHOUSE_NAMES[k], "city": _CITIES[k][0]}
        for k in range(N_WAREHOUSES)
    ]


@cache
def stock() -> dict[str, list[dict[str, Any]]]:
    """upc -> stock levels (2..4 warehouses each)."""
    wh = warehouses()
    out: dict[str, list[dict[str, Any]]] = {}
    for i in range(1, N_PRODUCTS + 1):
        n = 2 + _h(i, 21) % 3
        start = _h(i, 22) % N_WAREHOUSES
        levels = []
        for k in range(n):
            qty = _h(i, 23, k) % 40  # some zeros
            levels.append({"quantity": qty, "warehouse": wh[(start + k) % N_WAREHOUSES]})
        out[upc(i)] = levels
    return out


@cache
def reviews() -> list[dict[str, Any]]:
    """Flat list of reviews: each product gets 3..7 reviews by pseudo-random authors."""
    out = []
    rid = 0
    for i in range(1, N_PRODUCTS + 1):
        for k in range(3 + _h(i, 31) % 5):
            rid += 1
            nwords = 8 + _h(rid, 32) % 18
            words = [_WORDS[_h(rid, 33, w) % len(_WORDS)] for w in range(nwords)]
            body = " ".join(words).capitalize() + "."
            out.append(
                {
                    "id": f"r{rid}",
                    "body": body,
                    "rating": 1 + _h(rid, 34) % 5,
                    "author_id": user_id(1 + _h(rid, 35, k) % N_USERS),
                    "upc": upc(i),
                }
            )
    return out


@cache
def recently_viewed() -> dict[str, list[str]]:
    """user id -> list of upcs (4..8 each)."""
    out = {}
    for i in range(1, N_USERS + 1):
        n = 4 + _h(i, 41) % 5
        out[user_id(i)] = [upc(1 + _h(i, 42, k) % N_PRODUCTS) for k in range(n)]
    return out


def shipping_estimate(price: int, weight: int) -> int:
    """Free shipping above 300.00 (prices are in cents); otherwise by weight in grams."""
    if price > 30000:
        return 0
    return 299 + weight // 20


def in_stock(upc_: str) -> bool:
    return any(level["quantity"] > 0 for level in stock()[upc_])
