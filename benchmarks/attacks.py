"""Cost attacks against a gateway with the default operation limits (issue 10, item 1).

    .venv/bin/python benchmarks/attacks.py [--seconds 3]

Starts the benchmark subgraphs and ``tandem serve`` on them with the default settings, whose
operation limits are the ones production runs with (``gateway/limits.py``), and development
identity headers so a signed-in caller can be measured too. Then, for each attack of the
issue (sent without a token, as the issue sent it), and for the costliest documents the
limits still admit:

- one client sends the document back to back for ``--seconds``, each time a distinct copy
  (names vary, so no cache helps), and times every answer;
- another client meanwhile sends a normal request (the ``small`` query, signed in) every
  20 ms and times each answer: what one attacker costs everyone else;
- finally 100 more distinct attack documents are sent and the gateway's resident memory is
  read from ``/proc``.

Prints the figures; the issue's bar: the anonymous fragment explosion, alias and operations
bombs refused in under 50 ms each (median), normal requests answered within 100 ms while they
run (p99), and the gateway under 250 MB resident after 100 distinct attack documents. Exit
status 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from authz_overhead import HEADERS, run_gateway, start_subgraphs  # noqa: E402
from run import log, process_tree, rss_bytes  # noqa: E402

SMALL = json.dumps({"query": (HERE / "queries" / "small.graphql").read_text()}).encode()
JSON = {"content-type": "application/json", "accept": "application/graphql-response+json"}
Document = Callable[[int], str]


def fragment_explosion(k: int) -> str:
    """760 bytes: 18 fragments, each spreading the previous one twice (2^18 fields)."""
    names = [f"F{level}x{k}" for level in range(19)]
    fragments = [f"fragment {names[0]} on Query {{ __typename }}"]
    fragments += [
        f"fragment {names[i]} on Query {{ ...{names[i - 1]} ...{names[i - 1]} }}"
        for i in range(1, 19)
    ]
    return f"query {{ ...{names[18]} }} " + " ".join(fragments)


def alias_bomb(k: int) -> str:
    return "{ " + " ".join(f"a{i}x{k}: __typename" for i in range(10_000)) + " }"


def operations_bomb(k: int) -> str:
    return " ".join(f"query Q{i}x{k} {{ __typename }}" for i in range(30_000))


def list_aliases(k: int) -> str:
    return (
        "{ " + " ".join(f"l{i}x{k}: topProducts(first: 100) {{ upc }}" for i in range(300)) + " }"
    )


def repeated_fields(k: int) -> str:
    return f"query R{k} {{ me {{ " + "id " * 250_000 + "} }"


def directives(k: int) -> str:
    return f"query D{k} {{ me {{ id " + "@skip(if: false) " * 50_000 + "} }"


def merge_budget(k: int) -> str:
    """900 same-named fields: validating that they merge stops at the signed-in budget."""
    return f"query M{k} {{ me {{ " + "reviews { id } " * 900 + "} }"


def widest_signed_in(k: int) -> str:
    """At the signed-in field limit (3,000), with entity hops in every alias: planning."""
    fragment = (
        f"fragment R{k} on Review {{ id body rating author {{ id name reviews {{ id product "
        "{ upc name price inStock shippingEstimate } } } }"
    )
    body = " ".join(f"r{i}: reviews {{ ...R{k} }}" for i in range(199))
    return f"{{ topProducts(first: 1) {{ upc {body} }} }} {fragment}"


def widest_anonymous(k: int) -> str:
    """Near the anonymous limits: 20 aliases, each three entity hops deep (about 1,000
    fields)."""
    hop = "id body rating product {{ upc name price inStock shippingEstimate reviews {{ {} }} }}"
    inner = hop.format(hop.format("id body rating author { id name }"))
    fragment = f"fragment R{k} on Review {{ author {{ id name reviews {{ {inner} }} }} {inner} }}"
    body = " ".join(f"r{i}: reviews {{ ...R{k} }}" for i in range(17))
    return f"{{ topProducts(first: 1) {{ upc {body} }} }} {fragment}"


@dataclass
class Attack:
    name: str
    document: Document
    signed_in: bool = False
    refused: str | None = "OPERATION_LIMIT_EXCEEDED"  # None: admitted
    bar: bool = False  # one of the issue's three measured bars


ATTACKS = (
    Attack("fragment explosion (2^18), anonymous", fragment_explosion, bar=True),
    Attack("10,000 aliases, anonymous", alias_bomb, bar=True),
    Attack("30,000 operations, anonymous", operations_bomb, bar=True),
    Attack("300 aliases of a 100-item list", list_aliases),
    Attack("250,000 repeated fields", repeated_fields),
    Attack("50,000 directives on one field", directives),
    Attack("fragment explosion, signed in", fragment_explosion, signed_in=True),
    Attack("field-merging budget, signed in", merge_budget, signed_in=True),
    Attack("widest admitted, signed in", widest_signed_in, signed_in=True, refused=None),
    Attack("widest admitted, anonymous", widest_anonymous, refused=None),
)


@dataclass
class Figures:
    attack_ms: list[float] = field(default_factory=list)
    normal_ms: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def body_of(document: str) -> bytes:
    return json.dumps({"query": document}).encode()


def check(attack: Attack, response: httpx.Response) -> str | None:
    """What is wrong with an answer to ``attack``, or None."""
    answer = response.json()
    codes = [e.get("extensions", {}).get("code") for e in answer.get("errors", ())]
    if attack.refused is None:
        if response.status_code != 200 or "OPERATION_LIMIT_EXCEEDED" in codes:
            return f"refused: {response.status_code} {str(answer)[:200]}"
        return None
    if response.status_code != 400 or codes != [attack.refused]:
        return f"not refused: {response.status_code} {str(answer)[:200]}"
    return None


def measure(url: str, attack: Attack, seconds: float, first: int) -> tuple[Figures, int]:
    """Send ``attack`` back to back while a prober sends normal requests."""
    figures = Figures()
    stop = threading.Event()
    headers = {**JSON, **(HEADERS if attack.signed_in else {})}
    bodies = [body_of(attack.document(first + i)) for i in range(int(seconds * 200) + 50)]
    sent = 0

    def attacker() -> None:
        nonlocal sent
        with httpx.Client(timeout=60) as client:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and sent < len(bodies):
                started = time.perf_counter()
                response = client.post(url, content=bodies[sent], headers=headers)
                figures.attack_ms.append((time.perf_counter() - started) * 1000)
                problem = check(attack, response)
                if problem is not None:
                    figures.wrong.append(problem)
                sent += 1
        stop.set()

    def prober() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                response = client.post(url, content=SMALL, headers={**JSON, **HEADERS})
                figures.normal_ms.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or "errors" in response.json():
                    figures.wrong.append(f"normal request: {response.text[:200]}")
                time.sleep(0.02)

    threads = [threading.Thread(target=attacker), threading.Thread(target=prober)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return figures, first + sent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per attack")
    args = parser.parse_args()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tandem-attacks-") as folder:
        tmp = Path(folder)
        subgraphs, supergraph = start_subgraphs(tmp)
        gateway, url = run_gateway(supergraph, None, tmp)
        try:
            pids = process_tree(gateway.popen.pid)
            with httpx.Client(timeout=30) as client:  # warm: the first plan of a normal request
                for _ in range(20):
                    client.post(url, content=SMALL, headers={**JSON, **HEADERS})
            rss_start = rss_bytes(pids)
            print(f"\n{'attack':40} {'sent':>5} {'answer ms p50/max':>18} "
                  f"{'normal ms p50/p99/max':>22}")  # fmt: skip
            next_name = 0
            for attack in ATTACKS:
                figures, next_name = measure(url, attack, args.seconds, next_name)
                a50, amax = statistics.median(figures.attack_ms), max(figures.attack_ms)
                n50 = statistics.median(figures.normal_ms)
                n99, nmax = percentile(figures.normal_ms, 0.99), max(figures.normal_ms)
                print(f"{attack.name:40} {len(figures.attack_ms):5d} {a50:8.1f} /{amax:7.1f} "
                      f"{n50:7.1f} /{n99:6.1f} /{nmax:6.1f}")  # fmt: skip
                failures += [f"{attack.name}: {problem}" for problem in figures.wrong[:3]]
                if attack.bar and a50 >= 50:
                    failures.append(f"{attack.name}: refused in {a50:.1f} ms (bar: < 50 ms)")
                if attack.bar and n99 >= 100:
                    failures.append(f"{attack.name}: normal p99 {n99:.1f} ms (bar: < 100 ms)")
            rss_attacks = rss_bytes(pids)
            kinds = [fragment_explosion, alias_bomb, operations_bomb, list_aliases]
            with httpx.Client(timeout=60) as client:
                for i in range(100):
                    document = kinds[i % len(kinds)](next_name + i)
                    client.post(url, content=body_of(document), headers=JSON)
            rss_end = rss_bytes(pids)
            mb = 2**20
            print(f"\ngateway RSS: {rss_start / mb:.0f} MB after warm-up, {rss_attacks / mb:.0f} "
                  f"MB after the attacks above, {rss_end / mb:.0f} MB after 100 more distinct "
                  "attack documents (bar: < 250 MB)")  # fmt: skip
            if rss_end >= 250 * mb:
                failures.append(f"gateway RSS {rss_end / mb:.0f} MB (bar: < 250 MB)")
        finally:
            gateway.stop()
            for proc in subgraphs:
                proc.stop()
    for failure in failures:
        print(f"MISSED: {failure}")
    log("bars met" if not failures else f"{len(failures)} bar(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
