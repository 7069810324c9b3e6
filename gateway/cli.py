"""The ``tandem`` command: ``serve`` a supergraph, print a ``plan``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from .errors import TandemError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a supergraph over HTTP")
    serve.add_argument("--supergraph", required=True, help="supergraph SDL file")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument(
        "--subgraph-timeout",
        action="append",
        default=[],
        metavar="[NAME=]SECONDS",
        help="seconds a subgraph may take (all, or NAME only); repeatable; default 30",
    )
    serve.add_argument("--max-body-bytes", type=int, default=1_000_000)
    serve.add_argument(
        "--subgraph-url",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="route a subgraph elsewhere than its join__graph URL (repeatable)",
    )
    serve.add_argument(
        "--policy", metavar="DIR", help="enforce casbin policies: DIR/model.conf + policy.csv"
    )
    serve.add_argument(
        "--authz-mode",
        choices=("filter", "reject", "dry-run"),
        default="filter",
        help="dry-run: log decisions, enforce nothing",
    )
    serve.add_argument(
        "--schema-visibility",
        choices=("full", "filtered"),
        default="full",
        help="filtered: introspection and GET /schema show each caller what they may read",
    )
    serve.add_argument("--authz-explain", action="store_true", help="name rules in errors")
    serve.add_argument(
        "--authz-default", choices=("deny", "allow"), default="deny", help="unlisted fields"
    )
    serve.add_argument("--log-level", default="warning")

    dev = commands.add_parser("dev", help="run the demo stack: subgraphs and gateway")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=4000)

    plan = commands.add_parser("plan", help="print the query plan of an operation")
    plan.add_argument("--supergraph", required=True)
    plan.add_argument("--operation-name")
    plan.add_argument("query", help="the GraphQL operation text, or @FILE")

    from .policy_cli import add_policy_parser, run_policy

    add_policy_parser(commands)
    keys = commands.add_parser(
        "keys", help="field-encryption keys: init, list, rotate, rewrap, retire", add_help=False
    )
    keys.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper() if args.command == "serve" else "WARNING")
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "keys":
            from .crypto.keys_cli import main as keys_main

            return keys_main(args.arguments)
        if args.command == "policy":
            return run_policy(args)
        if args.command == "dev":
            from .dev import run_dev

            return run_dev(args.host, args.port)
        return _plan(args)
    except TandemError as error:
        print(f"tandem: {error.message}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from .supergraph import load_supergraph

    supergraph = load_supergraph(args.supergraph)  # fail fast, before forking workers
    timeouts = parse_timeouts(args.subgraph_timeout, {g.name for g in supergraph.graphs.values()})
    os.environ["TANDEM_SUPERGRAPH"] = os.path.abspath(args.supergraph)
    os.environ["TANDEM_SUBGRAPH_TIMEOUT"] = ",".join(f"{k}={v}" for k, v in timeouts.items())
    os.environ["TANDEM_MAX_BODY_BYTES"] = str(args.max_body_bytes)
    names = {g.name for g in supergraph.graphs.values()}
    routes = {}
    for item in args.subgraph_url:
        name, _, url = item.partition("=")
        if name not in names or not url.startswith(("http://", "https://")):
            raise TandemError(
                f"--subgraph-url {item!r}: expected NAME=http(s)://... for a subgraph"
            )
        routes[name] = url
    os.environ["TANDEM_SUBGRAPH_URLS"] = ",".join(f"{k}={v}" for k, v in routes.items())
    if args.policy:
        from .authz.enforcer import PolicyEnforcer

        policy_dir = os.path.abspath(args.policy)
        PolicyEnforcer(f"{policy_dir}/model.conf", f"{policy_dir}/policy.csv")  # fail fast
        os.environ["TANDEM_POLICY_DIR"] = policy_dir
        os.environ["TANDEM_AUTHZ_MODE"] = args.authz_mode
        os.environ["TANDEM_AUTHZ_EXPLAIN"] = "1" if args.authz_explain else ""
        os.environ["TANDEM_AUTHZ_DEFAULT"] = args.authz_default
        os.environ["TANDEM_SCHEMA_VISIBILITY"] = args.schema_visibility
    print(f"tandem: serving GraphQL at http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "gateway.http.factory:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
        loop="uvloop",
        http="httptools",
    )
    return 0


def parse_timeouts(values: Sequence[str], names: set[str]) -> dict[str, float]:
    """``["30", "people=5"]`` -> ``{"*": 30.0, "people": 5.0}``; refuses unknown names."""
    timeouts: dict[str, float] = {}
    for value in values:
        name, _, seconds = value.rpartition("=")
        name = name or "*"
        if name != "*" and name not in names:
            raise TandemError(f"--subgraph-timeout names unknown subgraph {name!r}")
        try:
            timeouts[name] = float(seconds)
        except ValueError:
            raise TandemError(f"--subgraph-timeout {value!r}: not a number of seconds") from None
        if timeouts[name] <= 0:
            raise TandemError(f"--subgraph-timeout {value!r}: must be positive")
    return timeouts


def _plan(args: argparse.Namespace) -> int:
    from .pipeline import Gateway
    from .supergraph import load_supergraph

    query = args.query
    if query.startswith("@"):
        with open(query[1:], encoding="utf-8") as handle:
            query = handle.read()
    gateway = Gateway(load_supergraph(args.supergraph))
    print(gateway.plan(query, args.operation_name))
    asyncio.run(gateway.close())
    return 0


if __name__ == "__main__":
    sys.exit(main())
