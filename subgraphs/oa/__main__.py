"""The OA subgraph's command line.

``python -m subgraphs.oa [--host H] [--port N] [--log-level L]`` serves it (default port
4201); ``python -m subgraphs.oa seed`` migrates its database and loads the demo company;
``python -m subgraphs.oa audit verify`` checks the audit trail's hash chain
(:mod:`subgraphs.common.audit_cli`); ``python -m subgraphs.oa people announce`` records
``oa.employee.changed``/``oa.department.changed`` for everyone never announced to the ERP
(:func:`subgraphs.oa.store.people_events.announce_unannounced`; a second run announces nobody).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from subgraphs.common.app import serve
from subgraphs.common.settings import load_settings
from subgraphs.oa import DEFAULT_PORT, NAME
from subgraphs.oa.app import build_app, migrate
from subgraphs.oa.seed import seed_demo_data
from subgraphs.oa.store.people_events import announce_unannounced
from tandem_shared.db import create_engine, create_session_factory, transaction


async def _seed(database_url: str) -> bool:
    await migrate(database_url)
    engine = create_engine(database_url)
    try:
        return await seed_demo_data(create_session_factory(engine))
    finally:
        await engine.dispose()


async def _announce(database_url: str) -> tuple[int, int]:
    await migrate(database_url)
    engine = create_engine(database_url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            return await announce_unannounced(session)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve, ``seed``, ``people announce`` or ``audit verify``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["audit"]:
        from subgraphs.common.audit_cli import main as audit
        from subgraphs.oa.store.models import audit_log

        sys.exit(audit(NAME, audit_log, args[1:]))
    if args[:1] == ["seed"]:
        seeded = asyncio.run(_seed(load_settings(NAME).database_url))
        print("OA demo company loaded." if seeded else "OA demo company already there.")
        return
    if args[:1] == ["people"]:
        if args[1:] != ["announce"]:
            print("usage: python -m subgraphs.oa people announce", file=sys.stderr)
            sys.exit(2)
        departments, employees = asyncio.run(_announce(load_settings(NAME).database_url))
        print(f"Announced {departments} departments and {employees} employees to the ERP.")
        return
    serve(build_app, NAME, default_port=DEFAULT_PORT, argv=args)


if __name__ == "__main__":
    main()
