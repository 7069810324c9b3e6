"""A subgraph's settings: frozen, read once from the environment, no import-time state.

Variables (``NAME`` is the subgraph's name in upper case, e.g. ``OA``, ``ERP``):

=================================  ===========================================================
``TANDEM_ENV``                     ``development`` (default) or ``production``
``TANDEM_DATA_DIR``                where embedded data lives; default ``.tandem``
``TANDEM_<NAME>_DATABASE_URL``     SQLAlchemy URL; default ``sqlite+aiosqlite:///<data
                                   dir>/<name>.db``; ``postgresql://`` and ``sqlite://``
                                   are given their async drivers (asyncpg, aiosqlite)
``TANDEM_REDIS_URL``               Redis for the event stream; unset: an in-process relay
``TANDEM_GATEWAY_PUBLIC_KEY_FILE`` PEM public key of the gateway; unset in development:
                                   derived from the development key pair (required in
                                   production)
``TANDEM_GATEWAY_KEY_FILE``        the development key pair; default
                                   ``<data dir>/dev-gateway-key.pem``
``TANDEM_COMPOSITION_SECRET``      the static credential that may read ``{ _service { sdl } }``
                                   (header ``X-Tandem-Composition-Key``); unset: none may
``TANDEM_SUBGRAPH_POLICY``         the gateway's policy directory (``model.conf`` +
                                   ``policy.csv``) for the coarse check
                                   (:mod:`subgraphs.common.coarse_policy`), or ``off``;
                                   default: ``policies/`` of the installation in production,
                                   off in development
``TANDEM_TLS_CERT_FILE``           PEM certificate (chain) to serve HTTPS with; unset: HTTP
``TANDEM_TLS_KEY_FILE``            its PEM private key (required with the certificate)
``TANDEM_TLS_CLIENT_CA_FILE``      PEM CA bundle: demand a client certificate it signed
                                   (mutual TLS: only the gateway may connect)
``TANDEM_COMPANY_TIMEZONE``        the company's IANA time zone: date-times are answered in
                                   it, periods counted on its clock; default
                                   ``Asia/Shanghai`` (:mod:`subgraphs.common.company_time`)
``TANDEM_<NAME>_FILES_DIR``        where uploaded files are kept (content-addressed) and
                                   uploads are spooled; default ``<data dir>/<name>-files``
``TANDEM_UPLOAD_MAX_BYTES``        the largest file an upload may carry; default 104857600
                                   (100 MiB), as the gateway's ``upload_max_bytes``
=================================  ===========================================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Self

from subgraphs.common.company_time import COMPANY_TIMEZONE_VARIABLE, zone_named
from subgraphs.common.uploads import DEFAULT_UPLOAD_MAX_BYTES
from tandem_shared.db import async_database_url, default_database_url
from tandem_shared.keys import load_or_create_dev_key, public_key_of

__all__ = [
    "DEFAULT_DATA_DIR",
    "INSTALLED_POLICY",
    "Environment",
    "SettingsError",
    "SubgraphSettings",
    "gateway_public_key",
    "load_settings",
]

DEFAULT_DATA_DIR = Path(".tandem")
INSTALLED_POLICY = Path(__file__).resolve().parents[2] / "policies"
"""The default policy shipped with Tandem: the subgraphs' coarse check reads it in production."""
"""Embedded databases and development keys live here unless ``TANDEM_DATA_DIR`` says otherwise."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SettingsError(ValueError):
    """The environment holds a setting that cannot be used (names the variable, never its value)."""


class Environment(StrEnum):
    """Where a subgraph runs: development allows generated keys, production does not."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True, kw_only=True)
class SubgraphSettings:
    """Everything a subgraph reads from its environment, once, at start-up."""

    name: str
    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    redis_url: str | None = None
    gateway_public_key_file: Path | None = None
    gateway_key_file: Path | None = None
    composition_secret: str | None = None
    policy_dir: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    files_dir: Path | None = None
    upload_max_bytes: int = DEFAULT_UPLOAD_MAX_BYTES

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise SettingsError(f"invalid subgraph name {self.name!r}: use [a-z][a-z0-9_]*")
        object.__setattr__(self, "environment", Environment(self.environment))
        if not self.database_url:
            object.__setattr__(self, "database_url", default_database_url(self.data_dir, self.name))
        if self.gateway_key_file is None:
            object.__setattr__(self, "gateway_key_file", self.data_dir / "dev-gateway-key.pem")
        if self.files_dir is None:
            object.__setattr__(self, "files_dir", self.data_dir / f"{self.name}-files")

    @property
    def production(self) -> bool:
        """True when development conveniences (generated keys) must be refused."""
        return self.environment is Environment.PRODUCTION

    @classmethod
    def from_env(cls, name: str, environ: Mapping[str, str] | None = None) -> Self:
        """Read the settings of subgraph ``name`` from ``environ`` (default: ``os.environ``)."""
        env = os.environ if environ is None else environ
        prefix = f"TANDEM_{name.upper()}_"
        raw_environment = env.get("TANDEM_ENV", Environment.DEVELOPMENT.value).strip().lower()
        try:
            environment = Environment(raw_environment)
        except ValueError:
            raise SettingsError("TANDEM_ENV must be 'development' or 'production'") from None
        data_dir = Path(env.get("TANDEM_DATA_DIR") or DEFAULT_DATA_DIR)
        database_url = _optional(env, prefix + "DATABASE_URL")
        public_key = _optional(env, "TANDEM_GATEWAY_PUBLIC_KEY_FILE")
        key_file = _optional(env, "TANDEM_GATEWAY_KEY_FILE")
        if environment is Environment.PRODUCTION and public_key is None:
            raise SettingsError("TANDEM_GATEWAY_PUBLIC_KEY_FILE is required in production")
        policy = _optional(env, "TANDEM_SUBGRAPH_POLICY")
        if policy is None and environment is Environment.PRODUCTION:
            policy = str(INSTALLED_POLICY)
        cert, key = _optional(env, "TANDEM_TLS_CERT_FILE"), _optional(env, "TANDEM_TLS_KEY_FILE")
        client_ca = _optional(env, "TANDEM_TLS_CLIENT_CA_FILE")
        if (cert is None) != (key is None):
            raise SettingsError("TANDEM_TLS_CERT_FILE and TANDEM_TLS_KEY_FILE go together")
        if client_ca is not None and cert is None:
            raise SettingsError("TANDEM_TLS_CLIENT_CA_FILE needs TANDEM_TLS_CERT_FILE (HTTPS)")
        zone = _optional(env, COMPANY_TIMEZONE_VARIABLE)
        if zone is not None:
            try:
                zone_named(zone)  # used where date-times are answered; refused now if unknown
            except ValueError as error:
                raise SettingsError(str(error)) from None
        upload_max = _optional(env, "TANDEM_UPLOAD_MAX_BYTES")
        if upload_max is not None and (not upload_max.isdigit() or int(upload_max) < 1):
            raise SettingsError("TANDEM_UPLOAD_MAX_BYTES must be a positive number of bytes")
        if database_url:
            try:
                database_url = async_database_url(database_url)
            except ValueError as error:
                raise SettingsError(f"{prefix}DATABASE_URL: {error}") from None
        return cls(
            name=name,
            environment=environment,
            data_dir=data_dir,
            database_url=database_url or "",
            redis_url=_optional(env, "TANDEM_REDIS_URL"),
            gateway_public_key_file=None if public_key is None else Path(public_key),
            gateway_key_file=None if key_file is None else Path(key_file),
            composition_secret=_optional(env, "TANDEM_COMPOSITION_SECRET"),
            policy_dir=None if policy in (None, "off") else Path(policy),
            tls_cert_file=_path(cert),
            tls_key_file=_path(key),
            tls_client_ca_file=_path(client_ca),
            files_dir=_path(_optional(env, prefix + "FILES_DIR")),
            upload_max_bytes=DEFAULT_UPLOAD_MAX_BYTES if upload_max is None else int(upload_max),
        )


def load_settings(name: str, environ: Mapping[str, str] | None = None) -> SubgraphSettings:
    """Read subgraph ``name``'s settings from ``environ`` (default: the process environment)."""
    return SubgraphSettings.from_env(name, environ)


def gateway_public_key(settings: SubgraphSettings) -> str:
    """The PEM public key a subgraph verifies tokens with (the development pair's if none given)."""
    if settings.gateway_public_key_file is not None:
        return settings.gateway_public_key_file.read_text(encoding="ascii")
    if settings.production or settings.gateway_key_file is None:
        raise SettingsError("TANDEM_GATEWAY_PUBLIC_KEY_FILE is required in production")
    return public_key_of(load_or_create_dev_key(settings.gateway_key_file))


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def _optional(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(key, "").strip()
    return value or None
