"""``python -m subgraphs.erp reference snapshot``: publish every item, supplier and budget once.

OA's copy of the ERP's reference data (:mod:`subgraphs.erp.store.reference`) follows the
ERP's change events; rows older than those events (a database upgraded from before them)
reach OA only through this snapshot, run once after the upgrade (running it again is
harmless: OA keeps the newest state of each row). Reads the ERP's own database
(``TANDEM_ERP_DATABASE_URL``, or ``--database-url``). Exit status: 0 published (the count is
printed), 2 the command could not run (bad arguments or settings, no database).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker

from subgraphs.common.audit import acting_as
from subgraphs.common.settings import SettingsError, load_settings
from subgraphs.erp import NAME
from subgraphs.erp.store.reference import publish_snapshot
from tandem_shared.db import async_database_url, create_engine, transaction

__all__ = ["main", "run"]


async def run(database_url: str) -> int:
    """Record the snapshot's events in the ERP's outbox at ``database_url``; how many."""
    engine = create_engine(async_database_url(database_url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        with acting_as(subject="system:reference", operation="reference snapshot"):
            async with transaction(sessions) as session:
                return await publish_snapshot(session)
    finally:
        await engine.dispose()


def main(argv: Sequence[str]) -> int:
    """Parse ``argv`` (after ``reference``), run, print; the exit status."""
    parser = argparse.ArgumentParser(prog=f"python -m subgraphs.{NAME} reference",
                                     description=__doc__)  # fmt: skip
    parser.add_argument("--database-url", help="default: TANDEM_ERP_DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    snapshot = commands.add_parser("snapshot", help="publish every item, supplier and budget once")
    snapshot.add_argument("--database-url", default=argparse.SUPPRESS, help="as above")
    args = parser.parse_args(argv)
    try:
        count = asyncio.run(run(args.database_url or load_settings(NAME).database_url))
    except (SettingsError, ValueError, SQLAlchemyError, OSError) as error:
        print(f"{parser.prog}: cannot run: {type(error).__name__}: {str(error)[:200]}")
        return 2
    print(f"published {count} reference events")
    return 0
