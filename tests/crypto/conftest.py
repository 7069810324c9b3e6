"""The crypto tests' stack (``stack.py``): one per test run of this folder, with its own keys.

The key settings are put into ``os.environ`` while the stack lives (the subgraphs' models seal
with the keys the environment names) and taken out after this folder's last test.
``TANDEM_TEST_SKIP_POSTGRES=1`` skips the tests that need PostgreSQL.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from tandem_shared.crypto_keys import create_keyring, master_key
from tests.crypto.stack import Stack, scratch_databases

WRITTEN: list[str] = []
"""Plaintexts the tests wrote through the API (the dump must not hold them either)."""


def key_environment(folder: Path) -> dict[str, str]:
    """A production-like key setup in ``folder``: master key, blind-index key, keyring."""
    folder.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    for variable, name in (
        ("TANDEM_MASTER_KEY_FILE", "master.key"),
        ("TANDEM_BLIND_INDEX_KEY_FILE", "blind-index.key"),
    ):
        path = folder / name
        path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=") + "\n")
        env[variable] = str(path)
    keyring = folder / "keyring.json"
    env["TANDEM_KEYRING_FILE"] = str(keyring)
    create_keyring(keyring, master_key(env))
    return env


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if os.environ.get("TANDEM_TEST_SKIP_POSTGRES") == "1":
        pytest.skip("TANDEM_TEST_SKIP_POSTGRES=1")
    folder = tmp_path_factory.mktemp("crypto-keys")
    env = key_environment(folder)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        try:
            databases = scratch_databases("oa", "erp", "audit")
            urls = databases.__enter__()
        except (OSError, asyncpg.PostgresError) as error:
            pytest.fail(f"no PostgreSQL: {error}")
        try:
            running = Stack(urls, folder, env).start()
            try:
                yield running
            finally:
                running.stop()
        finally:
            databases.__exit__(None, None, None)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
