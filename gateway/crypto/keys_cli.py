"""``tandem keys``: the field-encryption keyring, for operators holding the master key.

    tandem keys provision DIR [--mode 644]
                                         the production init step: master key, keyring (and its
                                         public copy), blind-index key, gateway signing key pair,
                                         database password; creates what is missing in DIR
    tandem keys check --role ROLE        load what a gateway / subgraph needs from the
                                         environment, without starting it (an init container)
    tandem keys init                     create the keyring (if there is none); print the key
    tandem keys list [--database N=URL]  key versions; with --database, how many values use each
    tandem keys rotate                   add a key version: new writes use it from now on
    tandem keys rewrap [--database N=URL] [--batch 200] [--state FILE] [--pause SECONDS]
                                         re-encrypt stored values under the active key, online,
                                         in batches; resumable (``--state``: where it got to)
    tandem keys retire KID [--database N=URL]
                                         drop a key version's private key; refused for the
                                         active key and for a key any stored value still uses

Keys come from the environment (``TANDEM_KEYRING_FILE``, ``TANDEM_MASTER_KEY[_FILE]``,
``TANDEM_BLIND_INDEX_KEY[_FILE]``; development defaults under ``TANDEM_DATA_DIR``), or
``--keyring`` / ``--master-key-file``. Databases: ``--database oa=URL`` (repeatable; the name
picks the models: ``oa``, ``erp``, or ``--models NAME=module:attribute``); by default the
subgraphs' own settings (``TANDEM_OA_DATABASE_URL``, ``TANDEM_ERP_DATABASE_URL``, else their
SQLite files). Exit status: 0 done, 1 refused or values left that do not open, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Final

import sqlalchemy as sa

from tandem_shared.crypto import BlindIndex
from tandem_shared.crypto_keys import (
    ACTIVE,
    DECRYPT,
    KeyringData,
    KeyringError,
    blind_index_key,
    create_keyring,
    keyring_path,
    load_keyring,
    master_key,
    new_key_version,
    retire,
    update_keyring,
)
from tandem_shared.db import async_database_url, default_database_url

from .keyring import FieldKeyring
from .provision import ROLES, check, provision
from .rewrap import Rewrapper, count_by_key

__all__ = ["main"]

MODELS: Final = {
    "oa": "subgraphs.oa.store.models:Base",
    "erp": "subgraphs.erp.store.models.finance:Base",  # the package imports every model
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tandem keys", description=__doc__.split("\n")[0])
    parser.add_argument("--keyring", help="the keyring file (else TANDEM_KEYRING_FILE)")
    parser.add_argument("--master-key-file", help="else TANDEM_MASTER_KEY[_FILE]")
    commands = parser.add_subparsers(dest="command", required=True)
    provisioning = commands.add_parser("provision", help="write a deploy's missing secrets")
    provisioning.add_argument("directory", help="where the secrets live (created, mode 0700)")
    provisioning.add_argument(
        "--mode", default="600", help="the files' mode, octal: 600 (default) or 644 (containers)"
    )
    checking = commands.add_parser("check", help="load what a gateway/subgraph needs")
    checking.add_argument("--role", choices=ROLES, required=True)
    commands.add_parser("init", help="create the keyring if there is none")
    listing = commands.add_parser("list", help="key versions (and values per key)")
    commands.add_parser("rotate", help="add a key version that new writes use")
    rewrap = commands.add_parser("rewrap", help="re-encrypt stored values under the active key")
    rewrap.add_argument("--batch", type=int, default=200)
    rewrap.add_argument("--pause", type=float, default=0.0, help="seconds between batches")
    rewrap.add_argument("--state", help="progress file, to resume an interrupted run")
    retiring = commands.add_parser("retire", help="drop a key version no value uses")
    retiring.add_argument("kid")
    for command in (listing, rewrap, retiring):
        command.add_argument("--database", action="append", default=[], metavar="NAME=URL")
        command.add_argument("--models", action="append", default=[], metavar="NAME=MOD:ATTR")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.keyring:
        env["TANDEM_KEYRING_FILE"] = args.keyring
    if args.master_key_file:
        env["TANDEM_MASTER_KEY_FILE"] = args.master_key_file
        env.pop("TANDEM_MASTER_KEY", None)
    try:
        return asyncio.run(_run(args, env))
    except (KeyringError, ValueError, OSError, sa.exc.SQLAlchemyError) as error:
        print(f"tandem keys: {type(error).__name__}: {error}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.command == "provision":
        for name, what in provision(Path(args.directory), mode=int(args.mode, 8)).items():
            print(f"{name}: {what}")
        return 0
    if args.command == "check":
        for line in check(args.role, env):
            print(f"{args.role}: {line}")
        return 0
    path = keyring_path(env, create=False)
    if args.command == "init":
        data = create_keyring(path, master_key(env))
        print(f"{path}: active key {data.active}")
        return 0
    if args.command == "rotate":
        kek = master_key(env)
        with update_keyring(path) as box:
            current = box[0]
            record = new_key_version(kek)
            keys = tuple(
                replace(k, status=DECRYPT) if k.status == ACTIVE else k for k in current.keys
            )
            box[0] = KeyringData(record.kid, (*keys, record))
        print(f"active key {record.kid} (new writes use it); previous keys still decrypt")
        return 0
    if args.command == "list":
        databases = _databases(args, env) if args.database else {}
        counts = await count_by_key(databases) if databases else {}
        data = load_keyring(path)
        for key in data.keys:
            used = f"  {counts.get(key.kid, 0)} values" if databases else ""
            print(f"{key.kid}  {key.status:8}  {key.created}{used}")
        if counts.get("(plain)"):
            print(f"(plain)  {counts['(plain)']} values not yet sealed: run rewrap")
        return 0
    databases = _databases(args, env)
    keyring = FieldKeyring(path, master_key(env))
    if args.command == "rewrap":
        rewrapper = Rewrapper(
            keyring,
            index=BlindIndex(blind_index_key(env)),
            batch=args.batch,
            pause=args.pause,
            state_path=Path(args.state) if args.state else None,
        )
        failed = 0
        for report in await rewrapper.run(databases):
            failed += report.failed
            print(
                f"{report.column}: {report.rewrapped} rewrapped, {report.sealed} sealed, "
                f"{report.changed_meanwhile} changed meanwhile, {report.failed} do not open"
            )
        return 1 if failed else 0
    # retire
    with update_keyring(path) as box:
        current = box[0]
        if current.record(args.kid) is None:
            print(f"tandem keys: no key {args.kid}", file=sys.stderr)
            return 1
        if args.kid == current.active:
            print(f"tandem keys: {args.kid} is the active key; rotate first", file=sys.stderr)
            return 1
        counts = await count_by_key(databases)
        if counts.get(args.kid):
            print(
                f"tandem keys: {counts[args.kid]} stored values still use {args.kid}; "
                "run rewrap first",
                file=sys.stderr,
            )
            return 1
        box[0] = retire(current, args.kid)
    print(f"retired {args.kid}: its private key is gone from the keyring")
    return 0


def _databases(
    args: argparse.Namespace, env: Mapping[str, str]
) -> dict[str, tuple[str, sa.MetaData]]:
    """name -> (URL, metadata): given with ``--database``, else the subgraphs' settings."""
    models = dict(MODELS)
    for item in args.models:
        name, _, target = item.partition("=")
        models[name] = target
    given: dict[str, str] = {}
    for item in args.database:
        name, separator, url = item.partition("=")
        if not separator or name not in models:
            raise ValueError(f"--database {name}=URL: name one of {', '.join(sorted(models))}")
        given[name] = async_database_url(url)
    if not given:
        data_dir = Path(env.get("TANDEM_DATA_DIR") or ".tandem")
        for name in ("oa", "erp"):
            url = env.get(f"TANDEM_{name.upper()}_DATABASE_URL", "").strip()
            given[name] = async_database_url(url) if url else default_database_url(data_dir, name)
    return {name: (url, _metadata(models[name])) for name, url in given.items()}


def _metadata(target: str) -> sa.MetaData:
    module_name, _, attribute = target.partition(":")
    base = getattr(importlib.import_module(module_name), attribute or "Base")
    metadata: sa.MetaData = base.metadata
    return metadata
