"""``python -m subgraphs.<name> events parked | retry ID | cancel ID``: dead letters by hand.

Reads and writes the subgraph's own database (``TANDEM_<NAME>_DATABASE_URL``, or
``--database-url``) through :mod:`subgraphs.common.parked_events`; the changes a retry makes
are audited as ``system:events-admin`` with the operation ``events retry``. Exit status: 0
done (``parked``: listed, even none), 1 the event is not open or failed again (the error is
printed), 2 the command could not run (bad arguments or settings, no database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Mapping, Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker

from subgraphs.common import parked_events
from subgraphs.common.audit import acting_as
from subgraphs.common.errors import SubgraphError
from subgraphs.common.events import Handler
from subgraphs.common.settings import SettingsError, load_settings
from tandem_shared.db import async_database_url, create_engine, transaction

__all__ = ["ADMIN_SUBJECT", "main", "run"]

ADMIN_SUBJECT = "system:events-admin"


async def run(
    name: str, outbox: str, handlers: Mapping[str, Handler], database_url: str,
    command: str, event_id: str | None,
) -> tuple[int, list[str]]:  # fmt: skip
    """Run one command on the database at ``database_url``: exit status and output lines."""
    engine = create_engine(async_database_url(database_url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        with acting_as(subject=ADMIN_SUBJECT, operation=f"events {command}"):
            async with transaction(sessions) as session:
                if command == "parked":
                    found = await parked_events.open_parked(session, service=name, outbox=outbox)
                    return 0, [_line(parked) for parked in found] or ["no parked events"]
                assert event_id is not None
                if command == "cancel":
                    parked = await parked_events.cancel(
                        session, service=name, outbox=outbox, event_id=event_id, by=ADMIN_SUBJECT
                    )
                    return 0, [f"cancelled {parked.event_id} ({parked.topic} {parked.key})"]
                error = await parked_events.retry(
                    session, service=name, outbox=outbox, event_id=event_id,
                    handlers=handlers, by=ADMIN_SUBJECT,
                )  # fmt: skip
                if error is not None:
                    return 1, [f"{event_id} failed again: {_error(error)}"]
                return 0, [f"retried {event_id}: applied"]
    except SubgraphError as error:
        return 1, [_error(error)]
    finally:
        await engine.dispose()


def main(name: str, outbox: str, handlers: Mapping[str, Handler], argv: Sequence[str]) -> int:
    """Parse ``argv`` (after ``events``), run, print; the exit status."""
    parser = argparse.ArgumentParser(prog=f"python -m subgraphs.{name} events", description=__doc__)
    parser.add_argument("--database-url", help=f"default: TANDEM_{name.upper()}_DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("parked", help="list the parked events not yet retried or cancelled")
    for command, text in (("retry", "apply it again"), ("cancel", "give it up")):
        commands.add_parser(command, help=text).add_argument("event_id", metavar="ID")
    args = parser.parse_args(argv)
    try:
        url = args.database_url or load_settings(name).database_url
        status, lines = asyncio.run(
            run(name, outbox, handlers, url, args.command, getattr(args, "event_id", None))
        )
    except (SettingsError, ValueError, SQLAlchemyError, OSError) as error:
        print(f"{parser.prog}: cannot run: {type(error).__name__}: {str(error)[:200]}")
        return 2
    for line in lines:
        print(line)
    return status


def _line(parked: parked_events.ParkedEvent) -> str:
    error = parked.error
    reason = f"{error.get('code')}: {error.get('message')}"
    if error.get("field"):
        reason += f" ({error['field']})"
    payload = json.dumps(dict(parked.payload), sort_keys=True)[:200]
    return (
        f"{parked.event_id}  {parked.topic}  key={parked.key}  {parked.parked_at}  "
        f"{reason}  {payload}"
    )


def _error(error: SubgraphError) -> str:
    field = error.extensions.get("field")
    return f"{error.code.value}: {error.message}" + (f" ({field})" if field else "")
