"""Settings of the OpenID providers whose access tokens the gateway accepts (bearer tokens).

Read once at start-up from exactly one of these environment variables:

===================================  =========================================================
``TANDEM_BEARER_PROVIDERS_FILE``     a ``.toml`` or ``.json`` file in the format below
``TANDEM_BEARER_PROVIDERS``          the same document inline, as JSON
``TANDEM_BEARER_ISSUER``             one provider without integrator clients, from the
                                     variables ``TANDEM_BEARER_AUDIENCES`` (comma separated,
                                     required), ``TANDEM_BEARER_DISCOVERY_URL``,
                                     ``TANDEM_BEARER_ALGORITHMS`` (comma separated),
                                     ``TANDEM_BEARER_LEEWAY``, ``TANDEM_BEARER_ROLES_CLAIM``,
                                     ``TANDEM_BEARER_DEPARTMENT_CLAIM``,
                                     ``TANDEM_BEARER_NAME_CLAIM``,
                                     ``TANDEM_BEARER_INTROSPECTION_ENDPOINT``,
                                     ``TANDEM_BEARER_INTROSPECTION_CLIENT_ID`` and
                                     ``TANDEM_BEARER_INTROSPECTION_CLIENT_SECRET``
===================================  =========================================================

None of them set: no provider, bearer tokens are refused. The file format (TOML; the JSON
form is the same document, ``{"providers": [{...}]}``)::

    [[providers]]
    issuer = "https://idp.example.com/realms/acme"     # exactly the tokens' "iss"
    audiences = ["tandem-api"]                          # required: a token names one of them
    # discovery_url = ".../.well-known/openid-configuration"  (default: issuer + that path)
    # jwks_url = "..."               skip discovery and read the key set from here
    # algorithms = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]   (the default)
    # leeway = 30                    seconds of clock skew allowed for exp / nbf
    # jwks_cache_seconds = 600       key-set lifetime when the IdP sends no max-age
    # jwks_refresh_interval = 30     at most one unknown-kid refresh per this many seconds
    # timeout = 5                    seconds, each request to the provider
    # require_listed_clients = false true: a client-credentials token from a client not
    #                                listed below is refused

    [providers.claims]               # where the principal's attributes are (claim paths:
    subject = "sub"                  # a claim's name, or a dotted path such as
    roles = "roles"                  # "realm_access.roles"; roles may be a list of paths)
    department = "department"
    name = "name"
    [providers.claims.role_map]      # optional: provider group or role -> policy role(s);
    "/finance" = "finance"           # with a map, unlisted provider values give no role

    [providers.introspection]        # opaque tokens (RFC 7662); omit to accept JWTs only
    client_id = "tandem-gateway"
    client_secret_env = "TANDEM_IDP_INTROSPECTION_SECRET"   # or client_secret = "..."
    # endpoint = "..."               (default: OpenID discovery, else RFC 8414 metadata;
    #                                neither naming one stops the gateway at start-up)
    # cache_seconds = 60             active results are reused this long, never past exp
    # userinfo = false               true: a user's answer without the subject claim is
    #                                completed from the userinfo endpoint with the token

    [providers.clients.reporting-bot]          # integrators: client id -> policy subject
    subject = "svc:reporting"
    rate_limit_per_minute = 600                # optional; carried, enforced elsewhere
    trusted_documents = "reporting-v3"         # optional; carried, enforced elsewhere

URLs must be ``https`` (plain ``http`` only on a loopback host). Allowed algorithms are
the asymmetric ones of :data:`gateway.auth.jose.ASYMMETRIC_ALGORITHMS`: ``none`` and the
HMAC algorithms are refused (an HMAC "secret" would be the provider's public key: RFC 8725
section 2.1). Unknown keys are errors.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

from ..errors import TandemError
from .claims import ClaimError, ClaimMapping, parse_role_map
from .jose import ASYMMETRIC_ALGORITHMS

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "DEFAULT_ALGORITHMS",
    "ClaimMapping",
    "IntegratorClient",
    "IntrospectionSettings",
    "ProviderSettings",
    "ProviderSettingsError",
    "load_providers",
    "parse_providers",
    "read_providers_file",
    "secure_url",
]

DEFAULT_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")

_ENV_PREFIX: Final = "TANDEM_BEARER_"


class ProviderSettingsError(TandemError):
    """The provider settings cannot be used; the message names the setting, never a secret."""

    code = "INVALID_SETTINGS"


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegratorClient:
    """An integrator's client id maps to this policy subject (and carries its limits)."""

    subject: str
    rate_limit_per_minute: int | None = None
    trusted_documents: str | None = None

    def __post_init__(self) -> None:
        if not self.subject:
            raise ProviderSettingsError("a client's subject must not be empty")
        limit = self.rate_limit_per_minute
        if limit is not None and (isinstance(limit, bool) or limit <= 0):
            raise ProviderSettingsError("rate_limit_per_minute must be a positive integer")


@dataclass(frozen=True, slots=True, kw_only=True)
class IntrospectionSettings:
    """Token introspection (RFC 7662) for opaque tokens: the endpoint and our credentials."""

    client_id: str
    client_secret: str = field(repr=False)
    endpoint: str | None = None
    cache_seconds: float = 60.0
    userinfo: bool = False

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ProviderSettingsError("introspection needs a client_id and a client secret")
        if self.endpoint is not None:
            _check_url(self.endpoint, "introspection.endpoint")
        if not 0 <= self.cache_seconds <= 3600:
            raise ProviderSettingsError("introspection.cache_seconds must be 0..3600")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSettings:
    """One OpenID provider whose access tokens are accepted."""

    issuer: str
    audiences: tuple[str, ...]
    discovery_url: str = ""
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    leeway: float = 30.0
    jwks_cache_seconds: float = 600.0
    jwks_refresh_interval: float = 30.0
    timeout: float = 5.0
    claims: ClaimMapping = field(default_factory=ClaimMapping)
    introspection: IntrospectionSettings | None = None
    clients: Mapping[str, IntegratorClient] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    require_listed_clients: bool = False

    def __post_init__(self) -> None:
        _check_url(self.issuer, "issuer")
        if not self.discovery_url:
            discovery = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            object.__setattr__(self, "discovery_url", discovery)
        _check_url(self.discovery_url, "discovery_url")
        if self.jwks_url is not None:
            _check_url(self.jwks_url, "jwks_url")
        object.__setattr__(self, "audiences", tuple(self.audiences))
        if not self.audiences or not all(isinstance(a, str) and a for a in self.audiences):
            raise ProviderSettingsError(f"{self.issuer}: audiences must name at least one")
        object.__setattr__(self, "algorithms", _algorithms(self.algorithms))
        if not 0 <= self.leeway <= 300:
            raise ProviderSettingsError("leeway must be 0..300 seconds")
        if not 0 < self.jwks_refresh_interval <= 3600:
            raise ProviderSettingsError("jwks_refresh_interval must be in (0, 3600] seconds")
        if not self.jwks_refresh_interval <= self.jwks_cache_seconds <= 86400:
            raise ProviderSettingsError(
                "jwks_cache_seconds must be at least jwks_refresh_interval, at most 86400"
            )
        if not 0 < self.timeout <= 60:
            raise ProviderSettingsError("timeout must be in (0, 60] seconds")
        object.__setattr__(self, "clients", MappingProxyType(dict(self.clients)))

    @property
    def opaque_tokens(self) -> bool:
        """True when opaque tokens are checked by this provider's introspection endpoint."""
        return self.introspection is not None


def load_providers(environ: Mapping[str, str]) -> tuple[ProviderSettings, ...]:
    """The providers the environment configures (module docstring); none if it names none."""
    env = environ
    file = _optional(env, _ENV_PREFIX + "PROVIDERS_FILE")
    inline = _optional(env, _ENV_PREFIX + "PROVIDERS")
    issuer = _optional(env, _ENV_PREFIX + "ISSUER")
    sources = (("PROVIDERS_FILE", file), ("PROVIDERS", inline), ("ISSUER", issuer))
    chosen = [name for name, value in sources if value is not None]
    if len(chosen) > 1:
        names = " and ".join(_ENV_PREFIX + name for name in chosen)
        raise ProviderSettingsError(f"set only one of {names}")
    if file is not None:
        return read_providers_file(Path(file), env)
    if inline is not None:
        try:
            document = orjson.loads(inline)
        except orjson.JSONDecodeError:
            raise ProviderSettingsError(f"{_ENV_PREFIX}PROVIDERS is not valid JSON") from None
        return parse_providers(document, env)
    if issuer is not None:
        return parse_providers({"providers": [_provider_from_env(issuer, env)]}, env)
    return ()


def read_providers_file(
    path: Path, environ: Mapping[str, str] | None = None
) -> tuple[ProviderSettings, ...]:
    """The providers of a ``.toml`` or ``.json`` file in the format of the module docstring."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ProviderSettingsError(f"cannot read {path}: {error.strerror}") from None
    try:
        if path.suffix.lower() == ".toml":
            document: Any = tomllib.loads(raw.decode("utf-8"))
        elif path.suffix.lower() == ".json":
            document = orjson.loads(raw)
        else:
            raise ProviderSettingsError(f"{path}: use a .toml or .json file")
    except (tomllib.TOMLDecodeError, orjson.JSONDecodeError, UnicodeDecodeError) as error:
        raise ProviderSettingsError(f"{path} cannot be parsed: {type(error).__name__}") from None
    return parse_providers(document, environ)


def parse_providers(
    document: Any, environ: Mapping[str, str] | None = None
) -> tuple[ProviderSettings, ...]:
    """The providers of a parsed document ``{"providers": [...]}``.

    ``environ`` (default: the process environment) resolves ``client_secret_env``.
    """
    env = os.environ if environ is None else environ
    top = _table(document, "the providers document", {"providers"})
    entries = top.get("providers", [])
    if not isinstance(entries, list):
        raise ProviderSettingsError("providers must be a list of tables")
    providers = tuple(_provider(entry, f"providers[{i}]", env) for i, entry in enumerate(entries))
    issuers = [provider.issuer for provider in providers]
    if len(set(issuers)) != len(issuers):
        raise ProviderSettingsError("two providers have the same issuer")
    return providers


_PROVIDER_KEYS = {
    "issuer", "audiences", "discovery_url", "jwks_url", "algorithms", "leeway",
    "jwks_cache_seconds", "jwks_refresh_interval", "timeout", "claims", "introspection",
    "clients", "require_listed_clients",
}  # fmt: skip


def _provider(entry: Any, where: str, env: Mapping[str, str]) -> ProviderSettings:
    table = _table(entry, where, _PROVIDER_KEYS)
    numbers = {
        key: _number(table[key], f"{where}.{key}")
        for key in ("leeway", "jwks_cache_seconds", "jwks_refresh_interval", "timeout")
        if key in table
    }
    require_listed = table.get("require_listed_clients", False)
    if not isinstance(require_listed, bool):
        raise ProviderSettingsError(f"{where}.require_listed_clients must be true or false")
    jwks_url = table.get("jwks_url")
    try:
        return ProviderSettings(
            issuer=_string(table.get("issuer"), f"{where}.issuer"),
            audiences=_strings(table.get("audiences"), f"{where}.audiences"),
            discovery_url=_string(table.get("discovery_url", ""), f"{where}.discovery_url", True),
            jwks_url=None if jwks_url is None else _string(jwks_url, f"{where}.jwks_url"),
            algorithms=_strings(
                table.get("algorithms", list(DEFAULT_ALGORITHMS)), f"{where}.algorithms"
            ),
            claims=_claims(table.get("claims", {}), f"{where}.claims"),
            introspection=_introspection(table.get("introspection"), where, env),
            clients=_clients(table.get("clients", {}), f"{where}.clients"),
            require_listed_clients=require_listed,
            **numbers,
        )
    except ProviderSettingsError as error:
        if error.message.startswith("providers["):
            raise
        raise ProviderSettingsError(f"{where}: {error.message}") from None


def _claims(value: Any, where: str) -> ClaimMapping:
    table = _table(value, where, {"subject", "roles", "department", "name", "role_map"})
    fields: dict[str, Any] = {
        key: _string(table[key], f"{where}.{key}")
        for key in ("subject", "department", "name")
        if key in table
    }
    if "roles" in table:
        roles = table["roles"]
        fields["roles"] = (
            (_string(roles, f"{where}.roles"),)
            if isinstance(roles, str)
            else _strings(roles, f"{where}.roles")
        )
    try:
        if "role_map" in table:
            table_map = _table(table["role_map"], f"{where}.role_map", None)
            fields["role_map"] = parse_role_map(table_map)
        return ClaimMapping(**fields)
    except ClaimError as error:
        raise ProviderSettingsError(f"{where}: {error}") from None


def _introspection(value: Any, where: str, env: Mapping[str, str]) -> IntrospectionSettings | None:
    if value is None:
        return None
    where = f"{where}.introspection"
    keys = {
        "endpoint", "client_id", "client_secret", "client_secret_env", "cache_seconds", "userinfo",
    }  # fmt: skip
    table = _table(value, where, keys)
    if ("client_secret" in table) == ("client_secret_env" in table):
        raise ProviderSettingsError(f"{where}: set one of client_secret, client_secret_env")
    if "client_secret_env" in table:
        variable = _string(table["client_secret_env"], f"{where}.client_secret_env")
        secret = _optional(env, variable)
        if secret is None:
            raise ProviderSettingsError(f"{where}: the variable {variable} is not set")
    else:
        secret = _string(table["client_secret"], f"{where}.client_secret")
    endpoint = table.get("endpoint")
    userinfo = table.get("userinfo", False)
    if not isinstance(userinfo, bool):
        raise ProviderSettingsError(f"{where}.userinfo must be true or false")
    return IntrospectionSettings(
        userinfo=userinfo,
        client_id=_string(table.get("client_id"), f"{where}.client_id"),
        client_secret=secret,
        endpoint=None if endpoint is None else _string(endpoint, f"{where}.endpoint"),
        cache_seconds=_number(table.get("cache_seconds", 60.0), f"{where}.cache_seconds"),
    )


def _clients(value: Any, where: str) -> dict[str, IntegratorClient]:
    clients: dict[str, IntegratorClient] = {}
    for client_id, entry in _table(value, where, None).items():
        here = f"{where}.{client_id}"
        table = _table(entry, here, {"subject", "rate_limit_per_minute", "trusted_documents"})
        limit = table.get("rate_limit_per_minute")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            raise ProviderSettingsError(f"{here}.rate_limit_per_minute must be an integer")
        documents = table.get("trusted_documents")
        clients[client_id] = IntegratorClient(
            subject=_string(table.get("subject"), f"{here}.subject"),
            rate_limit_per_minute=limit,
            trusted_documents=None
            if documents is None
            else _string(documents, f"{here}.trusted_documents"),
        )
    return clients


def _provider_from_env(issuer: str, env: Mapping[str, str]) -> dict[str, Any]:
    def get(name: str) -> str | None:
        return _optional(env, _ENV_PREFIX + name)

    def split(text: str) -> list[str]:
        return [part.strip() for part in text.split(",") if part.strip()]

    provider: dict[str, Any] = {"issuer": issuer, "audiences": split(get("AUDIENCES") or "")}
    if (discovery := get("DISCOVERY_URL")) is not None:
        provider["discovery_url"] = discovery
    if (algorithms := get("ALGORITHMS")) is not None:
        provider["algorithms"] = split(algorithms)
    if (leeway := get("LEEWAY")) is not None:
        try:
            provider["leeway"] = float(leeway)
        except ValueError:
            raise ProviderSettingsError(f"{_ENV_PREFIX}LEEWAY must be a number") from None
    claims: dict[str, Any] = {
        key: get(f"{key.upper()}_CLAIM") for key in ("subject", "department", "name")
    }
    if (roles := get("ROLES_CLAIM")) is not None:
        claims["roles"] = split(roles)
    if (role_map := get("ROLE_MAP")) is not None:
        claims["role_map"] = dict(_pair(item) for item in split(role_map))
    provider["claims"] = {key: value for key, value in claims.items() if value is not None}
    client_id = get("INTROSPECTION_CLIENT_ID")
    if client_id is not None:
        secret_variable = _ENV_PREFIX + "INTROSPECTION_CLIENT_SECRET"
        introspection: dict[str, Any] = {
            "client_id": client_id,
            "client_secret_env": secret_variable,
        }
        if (endpoint := get("INTROSPECTION_ENDPOINT")) is not None:
            introspection["endpoint"] = endpoint
        if (userinfo := get("INTROSPECTION_USERINFO")) is not None:
            introspection["userinfo"] = userinfo.lower() in ("1", "true", "yes")
        provider["introspection"] = introspection
    return provider


def _pair(item: str) -> tuple[str, str]:
    """``group=role`` of a role map given as ``a=r1,b=r2`` (roles joined with ``+``)."""
    key, separator, roles = item.partition("=")
    if not separator or not key.strip() or not roles.strip():
        raise ProviderSettingsError(f"role map entry {item!r}: write provider-value=role")
    return key.strip(), roles.replace("+", " ").strip()


def _algorithms(algorithms: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(algorithms)
    if not chosen:
        raise ProviderSettingsError("algorithms must name at least one")
    for algorithm in chosen:
        if algorithm.lower() == "none":
            raise ProviderSettingsError("algorithm 'none' is never allowed")
        if algorithm.upper().startswith("HS"):
            raise ProviderSettingsError(
                f"{algorithm} is an HMAC algorithm: never allowed with a provider's public keys"
            )
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise ProviderSettingsError(
                f"algorithm {algorithm!r} is not supported; use some of "
                + ", ".join(DEFAULT_ALGORITHMS)
            )
    return tuple(dict.fromkeys(chosen))


def secure_url(url: str) -> bool:
    """True for an ``https`` URL, or a plain ``http`` one on a loopback host."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))


def _check_url(url: str, name: str) -> None:
    if not secure_url(url):
        raise ProviderSettingsError(f"{name} must be an https URL (http only on a loopback host)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _table(value: Any, where: str, allowed: set[str] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProviderSettingsError(f"{where} must be a table (an object)")
    if allowed is not None and (unknown := sorted(set(value) - allowed)):
        raise ProviderSettingsError(f"{where}: unknown setting {unknown[0]!r}")
    return value


def _string(value: Any, where: str, empty: bool = False) -> str:
    if not isinstance(value, str) or not (value or empty):
        raise ProviderSettingsError(f"{where} must be a non-empty string")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ProviderSettingsError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProviderSettingsError(f"{where} must be a number")
    return float(value)


def _optional(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(key, "").strip()
    return value or None
