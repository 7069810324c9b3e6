#!/usr/bin/env python3
"""Differential testing: random valid operations sent to Tandem, Apollo Gateway and Hive Gateway.

    .venv/bin/python tools/difftest/difftest.py --supergraph NAME=FILE [--supergraph NAME=FILE ...]
         [--operations 200] [--seed 1] [--out report.json]

Each supergraph's subgraphs must already be running at the URLs its ``join__graph``s name
(the benchmark's, the demo's, OA + ERP, or the federation audit's ``serve`` command: see
README.md). For each supergraph the three gateways are started on it, ``--operations``
queries are generated from its API schema (hypothesis-graphql, seeded), each is sent to all
three, and the answers compared (``compare.py``). Where Apollo and Hive agree and Tandem does
not, the operation is minimised (``minimize.py``) and kept as an example of its class.
Prints a table per supergraph and the classes; ``--out`` writes the full report as JSON.
Exit status: 1 if any Tandem-alone difference was found, 0 otherwise, 2 on set-up problems.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from compare import TANDEM_ALONE, Outcome, compare
from gateways import GATEWAYS, ROOT, Gateway, GatewayError, start_gateway
from generate import generate_queries
from minimize import minimize

sys.path.insert(0, str(ROOT))
from gateway.supergraph import load_supergraph


@dataclass
class Finding:
    supergraph: str
    kind: str
    path: str
    query: str
    minimized: str
    answers: dict[str, Any]


@dataclass
class SupergraphReport:
    name: str
    operations: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)


def _ask_all(gateways: dict[str, Gateway], query: str) -> dict[str, dict[str, Any]]:
    return {name: gateway.ask(query) for name, gateway in gateways.items()}


def _outcome(answers: dict[str, dict[str, Any]]) -> Outcome:
    return compare(answers["tandem"], answers["apollo"], answers["hive"])


def run_supergraph(
    name: str, path: Path, args: argparse.Namespace, log_dir: Path
) -> SupergraphReport:
    report = SupergraphReport(name)
    supergraph = load_supergraph(path)
    queries = generate_queries(supergraph.api_schema, args.operations, args.seed)
    gateways: dict[str, Gateway] = {}
    try:
        for gateway_name in GATEWAYS:
            gateways[gateway_name] = start_gateway(
                gateway_name, path, log_dir / name, node=args.node, python=args.python
            )
        seen_classes: set[tuple[str, str]] = set()
        for query in queries:
            answers = _ask_all(gateways, query)
            outcome = _outcome(answers)
            report.operations += 1
            report.verdicts[outcome.verdict] += 1
            if outcome.verdict != TANDEM_ALONE:
                continue
            signature = (outcome.kind, outcome.path)
            if signature in seen_classes:
                report.verdicts["tandem-alone (same class again)"] += 1
                continue
            seen_classes.add(signature)

            def still_differs(candidate: str, kind: str = outcome.kind) -> bool:
                again = _outcome(_ask_all(gateways, candidate))
                return again.verdict == TANDEM_ALONE and again.kind == kind

            small = minimize(query, supergraph.api_schema, still_differs, budget=args.budget)
            small_answers = _ask_all(gateways, small)
            small_outcome = _outcome(small_answers)
            finding = Finding(
                name,
                small_outcome.kind or outcome.kind,
                small_outcome.path or outcome.path,
                query,
                small,
                small_answers,
            )
            report.findings.append(finding)
            _print_finding(finding)
    finally:
        for gateway in gateways.values():
            gateway.stop()
    return report


def _print_finding(finding: Finding) -> None:
    print(f"\n[{finding.supergraph}] {finding.kind} at {finding.path}\n{finding.minimized}")
    for gateway_name, body in finding.answers.items():
        print(f"  {gateway_name}: {json.dumps(body, sort_keys=True)[:400]}")
    print(flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--supergraph", action="append", default=[], metavar="NAME=FILE")
    parser.add_argument("--operations", type=int, default=200, help="per supergraph")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=150, help="minimisation tries per class")
    parser.add_argument("--node", default=shutil.which("node") or "node")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--logs", type=Path, help="gateway logs (default: a temporary folder)")
    args = parser.parse_args(argv)
    if not args.supergraph:
        parser.error("give at least one --supergraph NAME=FILE")
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix="difftest-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    reports: list[SupergraphReport] = []
    failed: list[str] = []
    for item in args.supergraph:
        name, _, file = item.partition("=")
        if not file:
            parser.error(f"--supergraph {item!r}: expected NAME=FILE")
        try:
            report = run_supergraph(name, Path(file), args, log_dir)
        except GatewayError as error:  # noted; the other supergraphs still run
            print(f"{name}: {error}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        reports.append(report)
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.verdicts.items()))
        print(f"{name:40} {report.operations:5} operations: {counts}", flush=True)
    findings = [f for r in reports for f in r.findings]
    verdicts: Counter[str] = Counter()
    for report in reports:
        verdicts.update(report.verdicts)
    print(f"\n{sum(r.operations for r in reports)} operations over {len(reports)} supergraphs"
          f" ({', '.join(f'{k} {v}' for k, v in sorted(verdicts.items()))}); "
          f"{len(findings)} Tandem-alone classes")  # fmt: skip
    if failed:
        print(f"not run (a gateway did not start): {', '.join(failed)}")
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "supergraphs": [
                        {"name": r.name, "operations": r.operations, "verdicts": r.verdicts}
                        for r in reports
                    ],
                    "findings": [asdict(f) for f in findings],
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    if failed:
        return 2
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
