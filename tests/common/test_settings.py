"""Settings: read once from a given environment, frozen, with the documented defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from subgraphs.common.settings import (
    Environment,
    SettingsError,
    SubgraphSettings,
    load_settings,
)
from tandem_shared.db import async_database_url


def test_defaults_are_embedded_and_development() -> None:
    settings = load_settings("oa", {})

    assert settings == SubgraphSettings(
        name="oa",
        environment=Environment.DEVELOPMENT,
        data_dir=Path(".tandem"),
        database_url="sqlite+aiosqlite:///.tandem/oa.db",
        redis_url=None,
        gateway_public_key_file=None,
        gateway_key_file=Path(".tandem/dev-gateway-key.pem"),
        composition_secret=None,
    )
    assert not settings.production


def test_each_subgraph_reads_its_own_database_url() -> None:
    environ = {
        "TANDEM_DATA_DIR": "/var/lib/tandem",
        "TANDEM_OA_DATABASE_URL": "postgresql://tandem@db:5432/oa",
        "TANDEM_ERP_DATABASE_URL": "postgresql+asyncpg://tandem@db:5432/erp",
        "TANDEM_REDIS_URL": "redis://127.0.0.1:6379/0",
        "TANDEM_COMPOSITION_SECRET": "s",
        "TANDEM_GATEWAY_KEY_FILE": "/keys/dev.pem",
    }

    oa, erp, other = (load_settings(name, environ) for name in ("oa", "erp", "hr"))

    assert oa.database_url == "postgresql+asyncpg://tandem@db:5432/oa"
    assert erp.database_url == "postgresql+asyncpg://tandem@db:5432/erp"
    assert other.database_url == "sqlite+aiosqlite:////var/lib/tandem/hr.db"
    assert (oa.redis_url, oa.composition_secret) == ("redis://127.0.0.1:6379/0", "s")
    assert oa.gateway_key_file == Path("/keys/dev.pem")


def test_production_requires_the_gateway_public_key() -> None:
    with pytest.raises(SettingsError, match="TANDEM_GATEWAY_PUBLIC_KEY_FILE"):
        load_settings("oa", {"TANDEM_ENV": "production"})

    settings = load_settings(
        "oa", {"TANDEM_ENV": "Production", "TANDEM_GATEWAY_PUBLIC_KEY_FILE": "/keys/gw.pub"}
    )
    assert settings.production
    assert settings.gateway_public_key_file == Path("/keys/gw.pub")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TANDEM_ENV": "staging"}, "TANDEM_ENV"),
        ({"TANDEM_OA_DATABASE_URL": "no-scheme"}, "scheme://"),
    ],
)
def test_unusable_values_are_refused_by_name(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings("oa", environ)


def test_settings_are_frozen_and_names_checked() -> None:
    settings = load_settings("oa", {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.name = "erp"  # type: ignore[misc]
    with pytest.raises(SettingsError):
        SubgraphSettings(name="OA; drop")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_their_async_driver(url: str, expected: str) -> None:
    assert async_database_url(url) == expected
