"""The gateway's settings: one typed, frozen model, read once at start-up.

Where a setting comes from, strongest first:

1. command-line flags (``tandem serve --port 4100``),
2. ``TANDEM_<NAME>`` environment variables (``TANDEM_PORT=4100``),
3. the TOML file given with ``--config`` (flat keys named like the settings: ``port = 4100``),
4. the defaults below.

Every invalid value stops start-up with the setting's name and the problem
(:class:`SettingsError`, exit code 2), never a traceback. Lists are comma separated in the
environment (``TANDEM_CORS_ORIGINS=https://a.example,https://b.example``) and TOML arrays in
the file; maps are ``NAME=VALUE`` pairs (``TANDEM_SUBGRAPH_URLS=oa=http://oa:4201/graphql``) or
TOML tables. A secret may instead be read from a file: ``<name>_file`` (``TANDEM_<NAME>_FILE``),
which is how container secrets are mounted.

The environment variables the OA and ERP services read (``TANDEM_OA_*``, ``TANDEM_ERP_*``,
``TANDEM_EVENTS_*``) belong to them (``subgraphs/common/settings.py``) and are not settings of
the gateway. What differs between development and production is listed once, in
:mod:`gateway.profiles`.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as _LibrarySettingsError

from .demand.control import DemandSettings
from .errors import TandemError
from .headers import HeaderRules
from .limits import CallerLimits, OperationLimits

__all__ = ["SECRET_SETTINGS", "Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "TANDEM_"


class SettingsError(TandemError):
    """A configuration that cannot start: each line names a setting and its problem."""


def _split_list(value: Any) -> Any:
    """``"a, b"`` -> ``("a", "b")``; TOML arrays and Python sequences pass through."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _split_map(value: Any) -> Any:
    """``"oa=http://x,erp=http://y"`` -> ``{"oa": "http://x", "erp": "http://y"}``."""
    if isinstance(value, str):
        pairs: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, separator, text = item.partition("=")
            if not separator or not name.strip():
                raise ValueError(f"expected NAME=VALUE pairs separated by commas, got {item!r}")
            pairs[name.strip()] = text.strip()
        return pairs
    return value


def _split_words(value: Any) -> Any:
    """``"openid profile"`` -> ``("openid", "profile")`` (OAuth scopes are space separated)."""
    if isinstance(value, str):
        return tuple(value.split())
    return value


StrList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_list)]
Words = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_words)]
UrlMap = Annotated[dict[str, str], NoDecode, BeforeValidator(_split_map)]
SecondsMap = Annotated[dict[str, float], NoDecode, BeforeValidator(_split_map)]
IntMap = Annotated[dict[str, Annotated[int, Field(ge=1)]], NoDecode, BeforeValidator(_split_map)]
BytesMap = Annotated[
    dict[str, Annotated[int, Field(ge=1024)]], NoDecode, BeforeValidator(_split_map)
]
FlagMap = Annotated[dict[str, bool], NoDecode, BeforeValidator(_split_map)]
Port = Annotated[int, Field(ge=0, le=65535)]

SECRET_SETTINGS = (
    "oidc_client_secret",
    "bearer_introspection_client_secret",
    "master_key",
)
"""Settings that hold secrets: redacted by ``tandem config show``, and readable from a file
named by ``<name>_file``."""

_CONFIG_FILE: ContextVar[Path | None] = ContextVar("tandem_config_file", default=None)

_SIGNED_IN = CallerLimits().signed_in  # the defaults live with the limits (gateway/limits.py)
_ANONYMOUS = CallerLimits().anonymous
_DEMAND = DemandSettings()  # the defaults live with demand control (gateway/demand/)


class Settings(BaseSettings):
    """Everything the gateway can be told; see the README's configuration reference."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
        extra="forbid",
        validate_default=True,
        case_sensitive=False,
    )

    # -- what to serve, and where ------------------------------------------------------------
    env: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses development conveniences (see gateway/profiles.py)",
    )
    supergraph: Path | None = Field(
        None,
        description="the Federation 2 supergraph SDL (`tandem dev`: the committed OA + ERP one)",
    )
    supergraph_url: str | None = Field(
        None,
        description="fetch the supergraph from this http(s) URL instead of a file (polled "
        "for changes with its ETag)",
    )
    supergraph_reload: Literal["watch", "signal", "off"] = Field(
        "watch",
        description="take a changed supergraph without a restart — watch: the file watched or "
        "the URL polled, and on SIGHUP; signal: on SIGHUP only; a bad one is refused and the "
        "old one kept",
    )
    supergraph_poll_seconds: float = Field(
        10.0, gt=0, le=86_400, description="how often `supergraph_url` is asked for changes"
    )
    supergraph_warm_operations: int = Field(
        100,
        ge=0,
        le=10_000,
        description="a reloaded supergraph takes over once the operations used most are "
        "planned on it, this many",
    )
    host: str = Field("127.0.0.1", min_length=1, description="address to listen on")
    port: Port = Field(4000, description="port to listen on (0: any free port)")
    workers: int = Field(1, ge=1, le=64, description="worker processes")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "warning", description="log level (`info` adds one line per GraphQL operation)"
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="log lines as text, or one JSON object per line"
    )
    metrics: bool = Field(True, description="serve Prometheus metrics at `/metrics`")
    tracing: Literal["otlp", "console", "off"] | None = Field(
        None,
        description="trace exporter (endpoint, sampler, service name: the standard `OTEL_*` "
        "variables); unset: `OTEL_TRACES_EXPORTER`'s choice, else off",
    )
    trace_parent_from: StrList = Field(
        (),
        description="clients whose `traceparent` their trace continues in: `*`, or CIDR blocks "
        "(a proxy's); others start a new trace linked to theirs",
    )
    data_dir: Path = Field(
        Path(".tandem"),
        description="development data: SQLite files, generated keys (nothing in production)",
    )

    # -- subgraphs ---------------------------------------------------------------------------
    subgraph_urls: UrlMap = Field(
        default_factory=dict,
        description="route subgraphs elsewhere than their supergraph URL: `NAME=URL,...`",
    )
    subgraph_timeout: float = Field(
        30.0, gt=0, le=3600, description="seconds a subgraph may take before SUBGRAPH_TIMEOUT"
    )
    request_deadline: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="seconds a whole request may take; fetches left then get GATEWAY_TIMEOUT",
    )
    subgraph_timeouts: SecondsMap = Field(
        default_factory=dict, description="per-subgraph timeouts: `NAME=SECONDS,...`"
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1024, le=100_000_000, description="larger request bodies get 413"
    )
    upload_max_bytes: int = Field(
        100 * 1024 * 1024,
        ge=0,
        description="the largest file a GraphQL multipart upload may carry (413 beyond); files "
        "are spooled to disk while read, never held whole; 0: no uploads and no /files downloads",
    )
    subscriptions_per_connection: int = Field(
        100,
        ge=1,
        le=10_000,
        description="subscriptions one WebSocket may run at once (more: SUBSCRIPTION_LIMIT)",
    )
    subscriptions_per_caller: int = Field(
        500,
        ge=1,
        le=100_000,
        description="subscriptions one caller may run at once on a replica, over WebSocket, SSE "
        "and multipart together (more: SUBSCRIPTION_LIMIT)",
    )
    subscription_init_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="seconds a WebSocket client has to send `connection_init` (then close 4408)",
    )
    subscription_recheck_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="how often a running subscription's credentials are checked again: a "
        "logout, an expired session or token, a revoked integrator end it (close 4401)",
    )
    subscription_lease_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description="with redis_url: how long a replica's lease on an upstream subscription "
        "(whose events it publishes to the others) outlives it; another replica takes over then",
    )
    subscription_key_prefix: str = Field(
        "tandem:subscriptions:",
        min_length=1,
        description="Redis key and channel prefix of the subscriptions' fan-out",
    )
    subgraph_max_response_bytes: int = Field(
        20_000_000,
        ge=1024,
        description="a larger subgraph answer is not read further: SUBGRAPH_RESPONSE_TOO_LARGE",
    )
    subgraph_max_response_sizes: BytesMap = Field(
        default_factory=dict, description="per-subgraph maximum answer sizes: `NAME=BYTES,...`"
    )
    subgraph_deduplication: bool = Field(
        True,
        description="identical queries to a subgraph in flight at once, for the same caller, "
        "share one call (never mutations)",
    )
    subgraph_deduplications: FlagMap = Field(
        default_factory=dict,
        description="per-subgraph deduplication: `NAME=true|false,...`",
    )
    subgraph_max_connections: int = Field(
        64, ge=1, le=10_000, description="open connections to one subgraph at most (a pool each)"
    )
    subgraph_retries: int = Field(
        1,
        ge=0,
        le=5,
        description="a query's request to a subgraph that could not be reached (refused, "
        "HTTP 502/503/504) is tried again this often; mutations never",
    )
    subgraph_retry_backoff: float = Field(
        0.05,
        ge=0,
        le=10,
        description="seconds the first retry waits at most (random), doubling for each next one",
    )
    subgraph_circuit_threshold: int = Field(
        5,
        ge=0,
        le=1000,
        description="failures in a row (unreachable, timed out) that open a subgraph's "
        "circuit breaker; then its requests get SUBGRAPH_UNAVAILABLE at once (0: no breaker)",
    )
    subgraph_circuit_cooldown: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="seconds an open circuit breaker refuses requests before one probe goes",
    )
    subgraph_headers: StrList = Field(
        (),
        description="client headers passed on to subgraphs: `SUBGRAPH:ACTION:ARG,...` with "
        "SUBGRAPH a name or *, ACTION forward (NAME or PREFIX*), rename (FROM=TO), insert "
        "(NAME=VALUE) or remove; none by default (README: Header propagation)",
    )
    subgraph_ca_file: Path | None = Field(
        None, description="PEM CA bundle trusted for https:// subgraphs (unset: the system's)"
    )
    subgraph_client_cert_file: Path | None = Field(
        None, description="PEM client certificate shown to https:// subgraphs (mutual TLS)"
    )
    subgraph_client_key_file: Path | None = Field(
        None, description="the client certificate's PEM private key (with the certificate)"
    )
    http_header_timeout: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="seconds a client has to send a request's headers (from connecting, or "
        "from the request's first byte on a kept-alive connection); then 408",
    )
    http_body_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="seconds a client has to send a request's body after its headers; then 408",
    )
    http_keep_alive_timeout: int = Field(
        5, ge=1, le=3600, description="seconds an idle kept-alive connection stays open"
    )
    http_max_header_bytes: int = Field(
        65_536, ge=4096, le=10_000_000, description="larger request headers get 431"
    )
    http_max_connections: int = Field(
        1000,
        ge=1,
        description="open connections per worker; requests beyond get 503 SERVICE_UNAVAILABLE",
    )
    gc_threshold: int = Field(
        200_000,
        ge=0,
        description="the cyclic garbage collector's youngest threshold (0: Python's default)",
    )

    # -- operation limits (gateway/limits.py; README: Operation limits) -----------------------
    limit_tokens: int = Field(
        _SIGNED_IN.tokens, ge=1, description="lexical tokens in one document (signed in)"
    )
    limit_tokens_anonymous: int = Field(
        _ANONYMOUS.tokens, ge=1, description="... for callers who are not signed in"
    )
    limit_operations: int = Field(
        _SIGNED_IN.operations, ge=1, description="operations in one document (signed in)"
    )
    limit_operations_anonymous: int = Field(
        _ANONYMOUS.operations, ge=1, description="... anonymous"
    )
    limit_directives: int = Field(
        _SIGNED_IN.directives, ge=1, description="directives on one location (signed in)"
    )
    limit_directives_anonymous: int = Field(
        _ANONYMOUS.directives, ge=1, description="... anonymous"
    )
    limit_fields: int = Field(
        _SIGNED_IN.fields,
        ge=1,
        description="fields of a document after expanding its fragments (signed in)",
    )
    limit_fields_anonymous: int = Field(_ANONYMOUS.fields, ge=1, description="... anonymous")
    limit_aliases: int = Field(
        _SIGNED_IN.aliases, ge=0, description="aliases after expanding fragments (signed in)"
    )
    limit_aliases_anonymous: int = Field(_ANONYMOUS.aliases, ge=0, description="... anonymous")
    limit_root_fields: int = Field(
        _SIGNED_IN.root_fields, ge=1, description="root fields of one operation (signed in)"
    )
    limit_root_fields_anonymous: int = Field(
        _ANONYMOUS.root_fields, ge=1, description="... anonymous"
    )
    limit_depth: int = Field(
        _SIGNED_IN.depth, ge=1, description="field nesting through fragments (signed in)"
    )
    limit_depth_anonymous: int = Field(_ANONYMOUS.depth, ge=1, description="... anonymous")
    limit_merge_checks: int = Field(
        _SIGNED_IN.merge_checks,
        ge=1,
        description="work units validating that same-named fields merge (signed in)",
    )
    limit_merge_checks_anonymous: int = Field(
        _ANONYMOUS.merge_checks, ge=1, description="... anonymous"
    )
    operation_cache_bytes: int = Field(
        64 * 2**20,
        ge=2**20,
        description="estimated bytes of parsed documents and plans kept for reuse",
    )
    override_label_header: str = Field(
        "",
        pattern=r"^[A-Za-z0-9-]*$",
        description="request header naming progressive @override labels to activate "
        "(comma separated); empty: only percent(N) labels apply",
    )

    # -- demand control (gateway/demand/; README: Cost limits) --------------------------------
    demand_mode: Literal["off", "measure", "enforce"] = Field(
        "measure",
        description="operation costs from @cost/@listSize: `enforce` refuses operations over "
        "the limits below, `measure` only reports them, `off` computes nothing",
    )
    demand_max_cost: int | None = Field(
        _DEMAND.max_cost,
        ge=1,
        description="largest estimated cost of one operation (COST_ESTIMATED_TOO_EXPENSIVE); "
        "unset: no maximum",
    )
    demand_default_list_size: int = Field(
        _DEMAND.default_list_size,
        ge=0,
        description="items a list field is assumed to hold when no @listSize says",
    )
    demand_budget_per_minute: int | None = Field(
        None,
        ge=1,
        description="estimated cost each signed-in caller may spend per minute "
        "(COST_BUDGET_EXCEEDED, 429); unset: no budget",
    )
    demand_client_budgets: IntMap = Field(
        default_factory=dict,
        description="budgets per minute of given callers: `CLIENT_ID=COST,...` (an "
        "integrator's client id, or a person's subject)",
    )
    demand_expose_cost: bool = Field(
        False, description="add the estimated and actual cost to responses' `extensions.cost`"
    )

    # -- browsers ----------------------------------------------------------------------------
    cors_origins: StrList = Field(
        (), description="exact origins allowed to call with credentials (comma separated)"
    )
    console_dir: Path | None = Field(
        None,
        description="serve the web console built into DIR (`make console`: console/dist) at `/` "
        "(`tandem dev`: console/dist)",
    )

    # -- field policy ------------------------------------------------------------------------
    policy_dir: Path | None = Field(
        None, description="enforce DIR/model.conf + DIR/policy.csv (`tandem dev`: policies/)"
    )
    authz_mode: Literal["filter", "reject", "dry-run"] = Field(
        "filter",
        description="filter: denied fields null with FORBIDDEN; reject: refuse the operation; "
        "dry-run: log only",
    )
    authz_explain: bool = Field(False, description="name the deciding rule in FORBIDDEN errors")
    authz_default: Literal["deny", "allow"] = Field(
        "deny", description="fields no rule mentions (allow: development only)"
    )
    schema_visibility: Literal["full", "filtered"] = Field(
        "full",
        description="filtered: introspection and /schema show each caller what they may read, "
        "and documents are validated against that schema",
    )
    validation_suggestions: Literal["auto", "on", "off"] = Field(
        "auto",
        description="\"Did you mean ...?\" in validation errors; auto: on in development, "
        "off in production (no schema names offered to guess at)",
    )
    policy_store: Literal["file", "database"] = Field(
        "file",
        description="database: rules live in a database and are edited at run time through "
        "/admin/graphql",
    )
    policy_database_url: str | None = Field(
        None, description="the policy database (implies policy_store = database)"
    )
    policy_redis_url: str | None = Field(
        None, description="Redis for policy change notices (default: redis_url)"
    )
    policy_channel: str = Field("tandem:policy", min_length=1, description="Redis channel")
    policy_subjects: StrList | None = Field(
        None,
        description="roles and subjects policy rules may name (default: the policy's roles.csv)",
    )
    policy_poll_seconds: float = Field(
        2.0, ge=0, description="how often a replica checks the policy for changes (0: never)"
    )
    policy_emergency_roles: StrList = Field(
        (),
        description="roles that may apply a four-eyes policy change alone, with a reason"
        " (emergencyApplyPolicyChange: audited, logged as an ERROR); none: off",
    )

    # -- shared state ------------------------------------------------------------------------
    redis_url: str | None = Field(
        None, description="sessions, rate limits and policy changes shared by replicas"
    )
    rate_limit_on_store_failure: Literal["open", "closed"] = Field(
        "closed",
        description="Redis away: closed answers rate-limited clients 503 SERVICE_UNAVAILABLE; "
        "open lets them through, counted by each replica alone",
    )

    # -- persisted operations and batching (gateway/persisted/, gateway/http/batching.py) ----
    persisted_operations: Literal["allow", "log-unknown", "only-persisted"] = Field(
        "allow",
        description="allow: any operation; log-unknown: any, logging those in no manifest; "
        "only-persisted: only the manifests' operations (APQ cannot register new ones)",
    )
    persisted_operations_manifests: StrList = Field(
        (),
        description="files of the operations clients may send by id or text: Apollo persisted "
        "query manifests, or `{id: document}` JSON maps (GraphQL Codegen, Hive); comma separated",
    )
    apq: bool = Field(
        True,
        description="automatic persisted queries: clients may register a document's SHA-256 "
        "hash and then send the hash alone",
    )
    apq_cache_entries: int = Field(
        10_000, ge=1, description="APQ documents each replica keeps in memory"
    )
    apq_cache_bytes: int = Field(
        16 * 2**20, ge=65_536, description="... and the estimated bytes they may take"
    )
    apq_redis_url: str | None = Field(
        None, description="Redis sharing APQ documents between replicas (default: redis_url)"
    )
    apq_ttl_seconds: int = Field(
        86_400, ge=60, description="seconds an APQ document stays in Redis after registering"
    )
    batching: bool = Field(
        False, description="accept a JSON list of operations in one POST (answered by a list)"
    )
    batching_max_size: int = Field(
        10, ge=1, le=1000, description="operations one batch may hold (more: BATCH_TOO_LARGE)"
    )

    # -- browser single sign-on --------------------------------------------------------------
    oidc_issuer: str | None = Field(None, description="the OpenID provider; turns SSO on")
    oidc_client_id: str | None = Field(None, description="the gateway's client at the provider")
    oidc_client_secret: SecretStr | None = Field(None, description="its secret (secret)")
    oidc_client_secret_file: Path | None = Field(None, description="... or a file holding it")
    oidc_auth_method: Literal[
        "client_secret_basic", "client_secret_post", "private_key_jwt", "none"
    ] = Field("client_secret_basic", description="how the gateway authenticates to the provider")
    oidc_redirect_uri: str | None = Field(None, description="`https://<gateway>/auth/callback`")
    oidc_post_logout_redirect_uri: str | None = Field(
        None, description="where users land after signing out"
    )
    oidc_scopes: Words | None = Field(
        None,
        description="scopes asked for, space separated (default: openid profile email, plus"
        " offline_access when the provider lists it)",
    )
    oidc_protocol: Literal["oidc", "oauth2"] = Field(
        "oidc", description="oauth2: a plain OAuth 2.0 provider (no ID token; userinfo says who)"
    )
    oidc_discovery_url: str | None = Field(
        None, description="metadata URL (default: OpenID discovery, then RFC 8414, at the issuer)"
    )
    oidc_authorization_endpoint: str | None = Field(
        None, description="overrides the metadata's (oauth2 providers without metadata)"
    )
    oidc_token_endpoint: str | None = Field(None, description="overrides the metadata's")
    oidc_userinfo_endpoint: str | None = Field(None, description="overrides the metadata's")
    oidc_subject_claim: str = Field(
        "sub", min_length=1, description="claim path of the policy subject (employee id)"
    )
    oidc_roles_claim: str = Field(
        "groups", min_length=1, description="claim path(s) holding roles, comma separated"
    )
    oidc_role_map: UrlMap = Field(
        {}, description="provider group/role -> policy role(s) (`a=r1,b=r2+r3`); unlisted: none"
    )
    oidc_department_claim: str = Field("department", min_length=1, description="department claim")
    oidc_name_claim: str = Field("name", min_length=1, description="display name claim")
    session_cookie: str = Field("tandem_session", min_length=1, description="cookie name")
    session_ttl: int = Field(8 * 3600, ge=60, description="seconds a browser session lives")
    session_refresh_margin: float = Field(
        60.0, ge=0, description="refresh tokens this many seconds before they expire"
    )
    session_redis_url: str | None = Field(None, description="session store (default: redis_url)")
    session_key_prefix: str = Field("tandem:auth:", description="Redis key prefix of sessions")
    session_insecure_localhost: bool = Field(
        False, description="plain-HTTP cookies on a loopback host (development only)"
    )
    session_revalidate_seconds: float = Field(
        0.0,
        ge=0,
        description="most seconds between checks with the provider (refresh or userinfo) that"
        " the user is still signed in there; 0: at token refresh only",
    )

    # -- bearer tokens and integrators -------------------------------------------------------
    bearer_providers_file: Path | None = Field(
        None, description="providers whose access tokens are accepted (format: auth/providers.py)"
    )
    bearer_providers: str | None = Field(None, description="the same document inline, as JSON")
    bearer_issuer: str | None = Field(None, description="one provider's issuer")
    bearer_audiences: StrList = Field((), description="its audiences (required with the issuer)")
    bearer_discovery_url: str | None = Field(None, description="its discovery document")
    bearer_algorithms: StrList | None = Field(None, description="allowed signing algorithms")
    bearer_leeway: float | None = Field(None, ge=0, le=600, description="clock skew, seconds")
    bearer_subject_claim: str | None = Field(None, description="claim path of the subject")
    bearer_roles_claim: str | None = Field(None, description="claim path(s) holding roles")
    bearer_role_map: UrlMap | None = Field(None, description="provider group -> policy role(s)")
    bearer_department_claim: str | None = Field(None, description="claim holding the department")
    bearer_name_claim: str | None = Field(None, description="claim holding the name")
    bearer_introspection_endpoint: str | None = Field(None, description="opaque tokens (RFC 7662)")
    bearer_introspection_client_id: str | None = Field(None, description="introspection client")
    bearer_introspection_client_secret: SecretStr | None = Field(
        None, description="its secret (secret)"
    )
    bearer_introspection_client_secret_file: Path | None = Field(
        None, description="... or a file holding it"
    )
    bearer_introspection_userinfo: bool = Field(
        False, description="complete a user's answer without the subject from userinfo"
    )
    trusted_documents_dir: Path | None = Field(
        None, description="integrators' trusted documents: DIR/<list>.json"
    )

    # -- keys --------------------------------------------------------------------------------
    gateway_key_file: Path | None = Field(
        None, description="ES256 private key signing subgraph requests (required in production)"
    )
    keyring_file: Path | None = Field(
        None, description="field-encryption keyring (required in production with encrypted fields)"
    )
    master_key: SecretStr | None = Field(None, description="unwraps the keyring (secret)")
    master_key_file: Path | None = Field(None, description="... or a file holding it")
    audit_database_url: str | None = Field(
        None, description="where plaintext reads of encrypted fields are audited"
    )

    # -- development only --------------------------------------------------------------------
    dev_identity: bool = Field(
        False, description="believe X-Tandem-Dev-* identity headers (development only)"
    )
    dev_oa_port: Port = Field(4201, description="`tandem dev`: the OA subgraph's port")
    dev_erp_port: Port = Field(4202, description="`tandem dev`: the ERP subgraph's port")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags, then the environment, then the ``--config`` file (module docstring)."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _CONFIG_FILE.get()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, values: Any) -> Any:
        """``<secret>_file`` names a file holding the secret (container secrets)."""
        if not isinstance(values, dict):
            return values
        for name in SECRET_SETTINGS:
            path = values.pop(f"{name}_file", None)
            if path in (None, ""):
                continue
            if values.get(name) not in (None, ""):
                raise ValueError(f"set {name} or {name}_file, not both")
            try:
                values[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ValueError(f"{name}_file: cannot read {path}: {error.strerror}") from None
        return values

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, given: tuple[str, ...]) -> tuple[str, ...]:
        origins = tuple(origin.rstrip("/") for origin in given)
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port])")
        return origins

    @field_validator("trace_parent_from")
    @classmethod
    def _trusted_parents(cls, given: tuple[str, ...]) -> tuple[str, ...]:
        for entry in given:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"{entry!r} is neither `*` nor a CIDR block") from None
        return given

    @field_validator("subgraph_urls")
    @classmethod
    def _urls(cls, urls: dict[str, str]) -> dict[str, str]:
        for name, url in urls.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{name}: {url!r} is not an http(s) URL")
        return urls

    @field_validator("supergraph_url")
    @classmethod
    def _supergraph_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url

    @field_validator("subgraph_headers")
    @classmethod
    def _header_rules(cls, rules: tuple[str, ...]) -> tuple[str, ...]:
        HeaderRules(rules)  # each rule parses, or the error names it
        return rules

    @field_validator("subgraph_timeouts")
    @classmethod
    def _timeouts(cls, timeouts: dict[str, float]) -> dict[str, float]:
        for name, seconds in timeouts.items():
            if not 0 < seconds <= 3600:
                raise ValueError(f"{name}: {seconds} is not between 0 and 3600 seconds")
        return timeouts

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        production = self.env == "production"
        if production and self.dev_identity:
            raise ValueError("dev_identity cannot be enabled in production")
        if production and self.session_insecure_localhost:
            raise ValueError("session_insecure_localhost cannot be set in production")
        if production and self.authz_default == "allow":
            raise ValueError("authz_default = allow is for development only")
        if self.supergraph is not None and self.supergraph_url is not None:
            raise ValueError("supergraph and supergraph_url name two supergraphs: set one")
        if self.oidc_issuer:
            missing = [
                name
                for name in ("oidc_client_id", "oidc_redirect_uri")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"{' and '.join(missing)} required with oidc_issuer")
            if self.workers > 1 and not self.redis_url:
                # each worker process would keep its own sign-in sessions: a person signed in
                # by one worker would be a stranger to the next
                raise ValueError("redis_url required with oidc_issuer and more than one worker")
        if (
            self.oidc_scopes is not None
            and self.oidc_protocol == "oidc"
            and "openid" not in self.oidc_scopes
        ):
            raise ValueError("oidc_scopes must include openid")
        bearer = [
            name
            for name in ("bearer_providers_file", "bearer_providers", "bearer_issuer")
            if getattr(self, name)
        ]
        if len(bearer) > 1:
            raise ValueError(f"set only one of {', '.join(bearer)}")
        if self.bearer_issuer and not self.bearer_audiences:
            raise ValueError("bearer_audiences required with bearer_issuer")
        if (
            self.persisted_operations == "only-persisted"
            and not self.persisted_operations_manifests
        ):
            raise ValueError("persisted_operations = only-persisted needs a manifest")
        return self

    # -- views -------------------------------------------------------------------------------

    @property
    def production(self) -> bool:
        return self.env == "production"

    def operation_limits(self) -> CallerLimits:
        """The ``limit_*`` settings as the pipeline's limits."""
        names = OperationLimits.__dataclass_fields__
        return CallerLimits(
            signed_in=OperationLimits(**{n: getattr(self, f"limit_{n}") for n in names}),
            anonymous=OperationLimits(**{n: getattr(self, f"limit_{n}_anonymous") for n in names}),
        )

    def demand(self) -> DemandSettings:
        """The ``demand_*`` settings as demand control's."""
        return DemandSettings(
            mode=self.demand_mode,
            max_cost=self.demand_max_cost,
            default_list_size=self.demand_default_list_size,
            budget_per_minute=self.demand_budget_per_minute,
            client_budgets=dict(self.demand_client_budgets),
            expose=self.demand_expose_cost,
        )

    def timeouts(self) -> dict[str, float]:
        """Per-subgraph timeouts with ``"*"`` for every other subgraph."""
        return {"*": self.subgraph_timeout, **self.subgraph_timeouts}

    def deduplicates(self, subgraph: str) -> bool:
        """Whether identical queries to ``subgraph`` in flight at once share one call."""
        return self.subgraph_deduplications.get(subgraph, self.subgraph_deduplication)

    def environ(self) -> dict[str, str]:
        """These settings as ``TANDEM_*`` strings, for the component parsers that take an
        environment mapping (SSO, bearer providers, policy runtime, keyring); unset ones are
        left out, so those parsers apply their own defaults."""
        values: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                text = value.get_secret_value()
            elif isinstance(value, bool):
                text = "1" if value else ""
            elif isinstance(value, tuple):
                text = (" " if name == "oidc_scopes" else ",").join(value)
            elif isinstance(value, dict):
                text = ",".join(f"{key}={item}" for key, item in value.items())
            else:
                text = str(value)
            values[ENV_PREFIX + name.upper()] = text
        return values

    def updated(self, **changes: Any) -> Settings:
        """A copy with ``changes``, validated again (``model_copy`` would not check them)."""
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as error:
            raise SettingsError(_describe(error, None)) from None

    def redacted(self) -> dict[str, Any]:
        """The effective settings as plain data, every secret replaced by ``"<redacted>"``."""
        data = self.model_dump(mode="json")
        for name in SECRET_SETTINGS:
            if data.get(name) is not None:
                data[name] = "<redacted>"
        return data


@contextmanager
def _config_file(path: Path | None) -> Iterator[None]:
    token = _CONFIG_FILE.set(path)
    try:
        yield
    finally:
        _CONFIG_FILE.reset(token)


def load_settings(
    config_file: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """The settings from flags (``overrides``; ``None`` values are not given), the
    environment and ``config_file``; :class:`SettingsError` when any is invalid."""
    path = Path(config_file) if config_file is not None else None
    if path is not None:
        _check_config_file(path)
    given = {name: value for name, value in (overrides or {}).items() if value is not None}
    try:
        with _config_file(path):
            return Settings(**given)
    except ValidationError as error:
        raise SettingsError(_describe(error, path)) from None
    except _LibrarySettingsError as error:
        raise SettingsError(f"invalid configuration: {error}") from None


def _check_config_file(path: Path) -> None:
    """A missing or malformed file is an error (the library would silently skip it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"config file {path}: {error.strerror}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path}: not valid TOML ({error})") from None
    unknown = sorted(set(document) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")


def _describe(error: ValidationError, path: Path | None) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        location = [str(part) for part in problem["loc"]]
        message = problem["msg"].removeprefix("Value error, ")
        if location:
            name = location[0]
            detail = f" [{'.'.join(location[1:])}]" if len(location) > 1 else ""
            lines.append(f"setting {name} ({ENV_PREFIX}{name.upper()}){detail}: {message}")
        else:
            lines.append(f"invalid configuration: {message}")
    where = f" (flags, environment, {path})" if path is not None else ""
    return f"invalid configuration{where}:\n  " + "\n  ".join(lines)
