"""``python -m subgraphs.<name> audit verify``: check a subgraph's audit chain.

Reads the subgraph's database (``TANDEM_<NAME>_DATABASE_URL``, or ``--database-url``),
walks its audit table from the first record (:func:`subgraphs.common.audit_chain.verify`)
and prints one line. Exit status: 0 the chain holds, 1 a record is broken (the line names
the first one and why), 2 the command could not run (bad arguments or settings, no database).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.exc import SQLAlchemyError

from subgraphs.common.audit_chain import Verification, verify
from subgraphs.common.settings import SettingsError, load_settings
from tandem_shared.db import async_database_url, create_engine

__all__ = ["main", "verify_database"]


async def verify_database(database_url: str, table: Table) -> Verification:
    """Verify ``table``'s chain in the database at ``database_url``."""
    engine = create_engine(async_database_url(database_url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(verify, table)
    finally:
        await engine.dispose()


def main(name: str, table: Table, argv: Sequence[str]) -> int:
    """Run ``audit <command>`` for subgraph ``name`` whose audit table is ``table``."""
    parser = argparse.ArgumentParser(prog=f"python -m subgraphs.{name} audit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="walk the hash chain; exit 1 at a broken record")
    check.add_argument("--database-url", help=f"default: TANDEM_{name.upper()}_DATABASE_URL")
    args = parser.parse_args(argv)
    try:
        url = args.database_url or load_settings(name).database_url
        result = asyncio.run(verify_database(url, table))
    except (SettingsError, ValueError, SQLAlchemyError, OSError) as error:
        print(f"{parser.prog}: cannot verify: {type(error).__name__}: {_first_line(error)}")
        return 2
    label = f"{name.upper()} audit trail"
    if result.intact:
        print(f"{label}: {result.count} records, chain intact (last hash {result.last_hash}).")
        return 0
    print(f"{label}: BROKEN at record {result.broken_seq}: {result.reason}.")
    return 1


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [""])[0][:200]
