"""The ``tandem`` command: ``serve`` a supergraph, print a ``plan``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import TandemError
from .settings import load_settings
from .settings_flags import add_settings_flags, flag_overrides

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a supergraph over HTTP")
    add_settings_flags(serve)
    dev = commands.add_parser(
        "dev", help="run the demo stack: OA and ERP subgraphs and the gateway, in one process"
    )
    add_settings_flags(dev, development=True)

    plan = commands.add_parser("plan", help="print the query plan of an operation")
    plan.add_argument("--supergraph", required=True)
    plan.add_argument("--operation-name")
    plan.add_argument("--variables", help="the operation's variables as JSON (for its cost)")
    plan.add_argument(
        "--list-size", type=int, default=None, help="items assumed in a list without @listSize"
    )
    plan.add_argument(
        "--defer",
        action="store_true",
        help="plan @defer fragments as a client reading incremental responses gets them",
    )
    plan.add_argument("query", help="the GraphQL operation text, or @FILE")

    from .config_cli import add_config_parser, run_config
    from .policy_cli import add_policy_parser, run_policy

    add_config_parser(commands)
    add_policy_parser(commands)
    keys = commands.add_parser(
        "keys", help="field-encryption keys: init, list, rotate, rewrap, retire", add_help=False
    )
    keys.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    logging.basicConfig(level="WARNING")
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "keys":
            from .crypto.keys_cli import main as keys_main

            return keys_main(args.arguments)
        if args.command == "policy":
            return run_policy(args)
        if args.command == "config":
            return run_config(args)
        if args.command == "dev":
            from .dev import run_dev

            return run_dev(load_settings(args.config, flag_overrides(args)))
        return _plan(args)
    except TandemError as error:
        print(f"tandem: {error.message}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .http.factory import (
        SOURCES_VARIABLE,
        build_app,
        check_settings,
        tune_garbage_collector,
        worker_sources,
    )
    from .http.server import server_options
    from .telemetry.logs import configure_logging

    overrides = flag_overrides(args)
    settings = load_settings(args.config, overrides)
    configure_logging(settings.log_level, settings.log_format)
    supergraph = check_settings(settings)
    app = build_app(settings, supergraph=supergraph)  # every start-up error before serving
    print(f"tandem: serving GraphQL at http://{settings.host}:{settings.port}/graphql", flush=True)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "loop": "uvloop",
        **server_options(settings),  # httptools with read deadlines and a connection limit
    }
    if settings.log_format == "json":
        options["log_config"] = None  # uvicorn's loggers write through the root's JSON lines
    if settings.workers == 1:
        tune_garbage_collector(settings.gc_threshold)
        uvicorn.run(app, **options)
        return 0
    del app  # each worker builds its own from the same sources
    os.environ[SOURCES_VARIABLE] = worker_sources(args.config, overrides)
    with worker_metrics_directory():
        uvicorn.run(
            "gateway.http.factory:app_from_environment",
            factory=True,
            workers=settings.workers,
            **options,
        )
    return 0


@contextlib.contextmanager
def worker_metrics_directory() -> Iterator[None]:
    """Where the workers write their metrics, so that a scrape reaching any of them counts
    all (``gateway/telemetry/metrics.py``): the operator's ``PROMETHEUS_MULTIPROC_DIR``, its
    files of an earlier run removed, else a temporary folder removed at exit."""
    from .telemetry.metrics import MULTIPROCESS_DIRECTORY

    given = os.environ.get(MULTIPROCESS_DIRECTORY)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    with tempfile.TemporaryDirectory(prefix="tandem-metrics-") as folder:
        os.environ[MULTIPROCESS_DIRECTORY] = folder
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIRECTORY]


def _plan(args: argparse.Namespace) -> int:
    from .pipeline import Gateway
    from .supergraph import load_supergraph

    query = args.query
    if query.startswith("@"):
        with open(query[1:], encoding="utf-8") as handle:
            query = handle.read()
    from .demand import CostSchema, DemandControl, DemandSettings

    supergraph = load_supergraph(args.supergraph)
    demand = DemandSettings(mode="off")
    if args.list_size is not None:
        demand = DemandSettings(mode="off", default_list_size=args.list_size)
    gateway = Gateway(supergraph, demand=DemandControl(CostSchema.of(supergraph.schema), demand))
    try:
        variables = json.loads(args.variables) if args.variables else None
    except json.JSONDecodeError as error:
        raise TandemError(f"--variables is not JSON: {error}", code="BAD_USER_INPUT") from None
    if variables is not None and not isinstance(variables, dict):
        raise TandemError("--variables must be a JSON object", code="BAD_USER_INPUT")
    print(gateway.plan(query, args.operation_name, variables, defer=args.defer))
    estimate = gateway.estimate(query, args.operation_name, variables)
    print(f"Estimated cost: {estimate.cost} (default list size {demand.default_list_size})")
    for problem in estimate.problems:
        print(f"  {problem}")
    asyncio.run(gateway.close())
    return 0


if __name__ == "__main__":
    sys.exit(main())
