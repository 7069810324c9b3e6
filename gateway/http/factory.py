"""The composition root: the one place a gateway is built from :class:`~gateway.settings.Settings`.

``tandem serve`` and ``tandem dev`` both call :func:`build_app`; ``tandem dev`` only passes
settings its development profile filled in (:mod:`gateway.profiles`) and the built-in
provider's routes. Components that parse their own part of the configuration (single sign-on,
bearer providers, the policy runtime, the keyring) are handed the validated settings as a
``TANDEM_*`` mapping; none of them reads the process environment here.

With several workers, uvicorn starts each in a fresh process that imports
:func:`app_from_environment`; the parent hands them where its settings came from (the
``--config`` file and the command-line flags, never secrets) in ``TANDEM_SETTINGS_SOURCES``,
and each worker reads the same environment and file again.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from tandem_shared.crypto_keys import KeyringError
from tandem_shared.tokens import Principal

from ..auth import (
    BearerAuthenticator,
    DevIdentity,
    Identifier,
    SubgraphTokens,
    load_gateway_key,
    load_providers,
)
from ..auth.integrators import from_environment as integrators_from_environment
from ..auth.routes import SSO
from ..auth.sessions import MemorySessionStore
from ..authz.arguments import FILE_NAME as SEARCHES_FILE
from ..authz.arguments import SearchedFields
from ..authz.authorizer import Authorizer
from ..authz.dry_run import DryRunAuthorizer
from ..authz.enforcer import PolicyEnforcer
from ..authz.plan_permission import policy_permission
from ..authz.relations import FILE_NAME as RELATIONS_FILE
from ..authz.relations import Relations, RelationsError
from ..authz.runtime import PolicyRuntime, PolicySettings
from ..authz.visibility import SchemaVisibility
from ..caller_validation import suggestions_wanted
from ..crypto.runtime import FieldCrypto
from ..demand import CostSchema, DemandControl, MemoryCostBudget, RedisCostBudget
from ..encrypted_fields import EncryptedFields
from ..executor.shaping import Shaper, Shaping
from ..executor.tls import subgraph_ssl_context
from ..executor.transport import AiohttpTransport
from ..headers import HeaderRules
from ..persisted import (
    DocumentStore,
    Manifest,
    ManifestError,
    MemoryDocumentStore,
    PersistedOperations,
    RedisDocumentStore,
    read_manifest,
)
from ..pipeline import Gateway
from ..reload import Gateways, ReloadStatus, SupergraphReloader, SupergraphSource, text_hash
from ..settings import Settings, SettingsError, load_settings
from ..subscriptions import SubscriptionLimits
from ..subscriptions.cluster import SubscriptionCluster
from ..supergraph import Supergraph, load_supergraph, read_supergraph
from ..telemetry import Telemetry
from ..telemetry.logs import configure_logging
from ..telemetry.metrics import Metrics
from ..telemetry.tracing import TraceParentTrust, Tracing, exporter_named
from .app import create_app
from .batching import Batching
from .console import console_routes

__all__ = [
    "SOURCES_VARIABLE",
    "app_from_environment",
    "build_app",
    "check_settings",
    "policy_relations",
]

SOURCES_VARIABLE = "TANDEM_SETTINGS_SOURCES"


def tune_garbage_collector(threshold: int) -> None:
    """Collect young objects less often, and never scan what start-up allocated.

    A response builds tens of thousands of short-lived dicts and lists that reference counting
    frees at once; with the default thresholds the cyclic collector still runs every few
    hundred allocations and walks them all, which cost a third of the gateway's CPU on the
    benchmark. ``gc_threshold`` sets the youngest generation's threshold; ``0`` keeps Python's
    defaults. The threshold counts live objects gained since the last collection (a freed one
    counts back), and the requests in flight are most of them: at 50 connections on the
    storefront benchmark 50,000 still ran a collection every 40 requests (0.3 ms of CPU each
    request, none of it finding garbage), 200,000 none in 15 s, with the same peak RSS.
    """
    if threshold > 0:
        gc.freeze()  # the schema, plans' caches and modules loaded so far: never collected
        gc.set_threshold(threshold, 20, 100)


def check_settings(settings: Settings) -> Supergraph:
    """Read the supergraph and the policy files the settings name, and check the settings
    that refer to them; :class:`SettingsError` (or the file's own error) when they do not."""
    if settings.supergraph_url is not None:
        supergraph = _fetch_supergraph(settings.supergraph_url)
    elif settings.supergraph is None:
        raise SettingsError("setting supergraph (TANDEM_SUPERGRAPH): required")
    else:
        supergraph = load_supergraph(settings.supergraph)
    names = {graph.name for graph in supergraph.graphs.values()}
    for setting, given in (
        ("subgraph_timeouts", settings.subgraph_timeouts),
        ("subgraph_urls", settings.subgraph_urls),
        ("subgraph_max_response_sizes", settings.subgraph_max_response_sizes),
    ):
        unknown = sorted(set(given) - names)
        if unknown:
            raise SettingsError(
                f"setting {setting} (TANDEM_{setting.upper()}): unknown subgraph(s) "
                f"{', '.join(unknown)}; the supergraph has {', '.join(sorted(names))}"
            )
    if settings.policy_dir is not None:
        for name in ("model.conf", "policy.csv"):
            if not (settings.policy_dir / name).is_file():
                raise SettingsError(
                    f"setting policy_dir (TANDEM_POLICY_DIR): {settings.policy_dir} has no {name}"
                )
    persisted_manifest(settings)  # a manifest that cannot be read stops `config check` too
    if settings.production:
        _check_production(settings, supergraph)
    return supergraph


def _fetch_supergraph(url: str) -> Supergraph:
    """The supergraph at ``url``, fetched once at start."""
    try:
        response = httpx.get(url, timeout=10.0, trust_env=False)
    except httpx.HTTPError as error:
        raise SettingsError(
            f"setting supergraph_url (TANDEM_SUPERGRAPH_URL): cannot fetch {url}: "
            f"{type(error).__name__}"
        ) from None
    if response.status_code != 200:
        raise SettingsError(
            f"setting supergraph_url (TANDEM_SUPERGRAPH_URL): {url} answered HTTP "
            f"{response.status_code}"
        )
    return read_supergraph(response.text, source_name=url)


def _check_production(settings: Settings, supergraph: Supergraph) -> None:
    """What production needs and development would have made up, all named at once."""
    missing = []
    if settings.policy_dir is None:
        missing.append(("policy_dir", "without a policy nothing would be enforced"))
    if settings.gateway_key_file is None:
        missing.append(("gateway_key_file", "`tandem keys provision` makes one (see deploy/)"))
    if EncryptedFields.from_supergraph(supergraph):
        if settings.keyring_file is None:
            missing.append(("keyring_file", "the supergraph has encrypted fields"))
        if settings.master_key is None:
            missing.append(("master_key", "or master_key_file; it unwraps the keyring"))
    if missing:
        raise SettingsError(
            "required in production:\n  "
            + "\n  ".join(
                f"setting {name} (TANDEM_{name.upper()}): {why}" for name, why in missing
            )
        )


def build_app(
    settings: Settings,
    *,
    supergraph: Supergraph | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    telemetry: Telemetry | None = None,
    warm: Sequence[Principal] = (),
) -> Starlette:
    """The gateway's ASGI app, as ``settings`` describe it (``telemetry``: instead of the
    one the settings describe; tests pass one exporting to memory; ``warm``: callers whose
    visible schemas are built in the background from the start, e.g. ``tandem dev``'s demo
    logins, so their first pages do not wait for them)."""
    supergraph = supergraph if supergraph is not None else check_settings(settings)
    env = settings.environ()
    transport = AiohttpTransport(
        timeout=settings.subgraph_timeout,
        timeouts=dict(settings.subgraph_timeouts),
        max_response_bytes=settings.subgraph_max_response_bytes,
        max_response_sizes=dict(settings.subgraph_max_response_sizes),
        max_connections=settings.subgraph_max_connections,
        shaper=Shaper(
            Shaping(
                threshold=settings.subgraph_circuit_threshold,
                cooldown=settings.subgraph_circuit_cooldown,
                retries=settings.subgraph_retries,
                backoff=settings.subgraph_retry_backoff,
            )
        ),
        ssl_context=subgraph_ssl_context(
            settings.subgraph_ca_file,
            settings.subgraph_client_cert_file,
            settings.subgraph_client_key_file,
        ),
    )
    dev_identity = DevIdentity(env) if settings.dev_identity else None
    # a providers file may name the variable holding a client secret (client_secret_env)
    providers = load_providers({**os.environ, **env})
    bearer = BearerAuthenticator(providers, httpx.AsyncClient(timeout=5)) if providers else None
    rate_limiter, trusted_documents = integrators_from_environment(env)
    sso = SSO.from_environ(env)
    if sso is not None and bearer is not None:
        sso.share_caches(bearer)  # one metadata and key cache per provider
    identifier = Identifier(
        sessions=sso.principal if sso is not None else None,
        bearer=bearer,
        dev_identity=dev_identity,
        rate_limiter=rate_limiter,
        trusted_documents=trusted_documents,
    )
    identifies = dev_identity is not None or bearer is not None or sso is not None
    tokens = (
        SubgraphTokens(load_gateway_key(env))
        if identifies or settings.gateway_key_file
        else None
    )
    enforcer = None
    runtime = None
    if settings.policy_dir is not None:
        enforcer = PolicyEnforcer(
            settings.policy_dir / "model.conf",
            settings.policy_dir / "policy.csv",
            default_allow=settings.authz_default == "allow",
            relations=policy_relations(settings, supergraph),
        )
        runtime = PolicyRuntime(enforcer, PolicySettings.from_environment(env))
    try:  # encrypted fields: keys, audit log (None if the supergraph has none)
        crypto = FieldCrypto.from_environment(
            supergraph, enforcer, env, explain=settings.authz_explain
        )
    except KeyringError as error:
        raise SettingsError(f"encrypted fields: {error}") from None
    demand = _demand_control(settings, supergraph)
    # subscriptions across replicas: upstream events and ended callers through Redis
    cluster = SubscriptionCluster.of(
        settings.redis_url,
        prefix=settings.subscription_key_prefix,
        lease=settings.subscription_lease_seconds,
    )
    if sso is not None:
        sso.on_ended = cluster.endings.ended

    def make_gateway(supergraph: Supergraph) -> Gateway:
        """A gateway for ``supergraph`` sharing what does not depend on it (the transport,
        identity tokens, the policy, keys and the audit log, cost budgets): at start, and for
        each supergraph a reload brings (``gateway/reload.py``)."""
        authorizer: Authorizer | None = None
        visibility = None
        if enforcer is not None:
            policy_relations(settings, supergraph)  # the policy's relations fit this schema
            searched = _searched_fields(settings, supergraph)
            if settings.schema_visibility == "filtered":
                visibility = SchemaVisibility(supergraph.api_schema, enforcer, searched=searched)
                if warm:
                    visibility.warm(warm)
            authorizer = (DryRunAuthorizer if settings.authz_mode == "dry-run" else Authorizer)(
                supergraph.api_schema,
                enforcer,
                reject=settings.authz_mode == "reject",
                explain=settings.authz_explain,
                searched=searched,
            )
        return Gateway(
            supergraph,
            subgraph_urls=dict(settings.subgraph_urls),
            transport=transport,
            request_deadline=settings.request_deadline,
            shared_subgraphs=settings.deduplicates,
            header_rules=HeaderRules(settings.subgraph_headers),
            suggestions=suggestions_wanted(
                settings.validation_suggestions, production=settings.production
            ),
            limits=settings.operation_limits(),
            cache_bytes=settings.operation_cache_bytes,
            tokens=tokens,
            authorizer=authorizer,
            visibility=visibility,
            crypto=crypto.for_supergraph(supergraph) if crypto is not None else None,
            demand=DemandControl(
                CostSchema.of(supergraph.schema), settings.demand(), budget=demand.budget
            ),
            fanout=cluster.fanout,
        )

    gateway = make_gateway(supergraph)
    app = create_app(
        gateway,
        max_body_bytes=settings.max_body_bytes,
        identifier=identifier,
        sso=sso,
        cors_origins=settings.cors_origins,
        extra_routes=[
            *extra_routes,
            *(console_routes(settings.console_dir) if settings.console_dir else ()),
        ],
        override_label_header=settings.override_label_header,
        persisted=persisted_operations(settings, trusted_documents.lists),
        subscription_limits=SubscriptionLimits(
            settings.subscriptions_per_connection, settings.subscriptions_per_caller
        ),
        subscription_init_timeout=settings.subscription_init_timeout,
        subscription_recheck=settings.subscription_recheck_seconds,
        subscription_endings=cluster.endings,
        batching=Batching(settings.batching, settings.batching_max_size),
        reloader=_reloader(settings, gateway, make_gateway),
        telemetry=telemetry if telemetry is not None else telemetry_of(settings, sso),
        upload_max_bytes=settings.upload_max_bytes or None,
        plan_permission=policy_permission(enforcer),  # POST /plan, by the policy
    )
    _close_after(app, cluster.aclose)
    if runtime is not None:
        # /admin/graphql, store sync, watcher; dry runs against the served API schema
        runtime.install(app, identifier.identify, schema_of=lambda: supergraph.api_schema)
    if crypto is not None:
        app.router.routes.extend(crypto.routes(identifier.identify))  # /admin/crypto/graphql
        _close_after(app, crypto.close)  # the audit database's connections
    return app


def _close_after(app: Starlette, close: Callable[[], Awaitable[None]]) -> None:
    """Run ``close`` when ``app``'s lifespan ends."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        try:
            async with inner(application) as state:
                yield state
        finally:
            await close()

    app.router.lifespan_context = lifespan


def _reloader(
    settings: Settings, gateway: Gateway, make_gateway: Callable[[Supergraph], Gateway]
) -> SupergraphReloader | None:
    """The supergraph's watcher (``supergraph_reload``), or None when it is off."""
    location = settings.supergraph_url or (
        str(settings.supergraph) if settings.supergraph is not None else None
    )
    if settings.supergraph_reload == "off" or location is None:
        return None
    status = ReloadStatus(sha256=text_hash(gateway.supergraph.sdl), loaded_at=time.time())
    return SupergraphReloader(
        Gateways(gateway, status),
        SupergraphSource(location),
        make_gateway,
        watch=settings.supergraph_reload == "watch",
        poll_seconds=settings.supergraph_poll_seconds,
        warm_operations=settings.supergraph_warm_operations,
    )


def telemetry_of(settings: Settings, sso: SSO | None = None) -> Telemetry:
    """Metrics and tracing as the settings say (``gateway/telemetry``); the active sessions
    counted when this process keeps them (a Redis store's are every replica's: not here)."""
    exporter = exporter_named(settings.tracing)
    metrics = Metrics() if settings.metrics else None
    if metrics is not None and sso is not None and isinstance(sso.store, MemorySessionStore):
        metrics.sessions(sso.store.active)
    return Telemetry(
        metrics,
        Tracing.create(exporter, TraceParentTrust(settings.trace_parent_from))
        if exporter is not None
        else None,
    )


def _demand_control(settings: Settings, supergraph: Supergraph) -> DemandControl:
    """Operation costs as the ``demand_*`` settings say; budgets in Redis when there is one."""
    budget = (
        RedisCostBudget(settings.redis_url, on_store_failure=settings.rate_limit_on_store_failure)
        if settings.redis_url and settings.demand_mode == "enforce"
        else MemoryCostBudget()
    )
    return DemandControl(CostSchema.of(supergraph.schema), settings.demand(), budget=budget)


def persisted_operations(
    settings: Settings, client_manifests: dict[str, Manifest]
) -> PersistedOperations:
    """The ``persisted_operations*`` and ``apq*`` settings, with the integrators' lists."""
    store: DocumentStore | None = None
    if settings.apq:
        local = MemoryDocumentStore(settings.apq_cache_entries, settings.apq_cache_bytes)
        redis_url = settings.apq_redis_url or settings.redis_url
        store = (
            RedisDocumentStore(redis_url, local, ttl=settings.apq_ttl_seconds)
            if redis_url
            else local
        )
    return PersistedOperations(
        settings.persisted_operations,
        persisted_manifest(settings),
        store=store,
        client_manifests=client_manifests,
    )


def persisted_manifest(settings: Settings) -> Manifest:
    """The operations of every file ``persisted_operations_manifests`` names, as one."""
    documents: dict[str, str] = {}
    digests: set[str] = set()
    for path in settings.persisted_operations_manifests:
        try:
            manifest = read_manifest(path)
        except ManifestError as error:
            raise SettingsError(
                f"setting persisted_operations_manifests "
                f"(TANDEM_PERSISTED_OPERATIONS_MANIFESTS): {error}"
            ) from None
        documents.update(manifest.bodies)
        digests |= manifest.digests
    return Manifest.of("manifests", documents, frozenset(digests))


def _searched_fields(settings: Settings, supergraph: Supergraph) -> SearchedFields:
    """The policy's table of search arguments (``policies/searches.csv``), checked."""
    assert settings.policy_dir is not None
    try:
        searched = SearchedFields.read(settings.policy_dir / SEARCHES_FILE)
        searched.check(supergraph.api_schema)
    except ValueError as error:
        raise SettingsError(f"setting policy_dir (TANDEM_POLICY_DIR): {error}") from None
    return searched


def policy_relations(settings: Settings, supergraph: Supergraph) -> Relations:
    """The policy's relation subjects (``policies/relations.csv``), checked against the schema."""
    assert settings.policy_dir is not None
    try:
        relations = Relations.read(settings.policy_dir / RELATIONS_FILE)
        relations.check(supergraph.api_schema)
    except RelationsError as error:
        raise SettingsError(f"setting policy_dir (TANDEM_POLICY_DIR): {error}") from None
    return relations


def worker_sources(config_file: str | None, overrides: dict[str, Any]) -> str:
    """What a worker process needs to read the parent's settings again (no secrets)."""
    given = {name: value for name, value in overrides.items() if value is not None}
    return json.dumps({"config": config_file, "overrides": given}, default=str)


def app_from_environment() -> Starlette:
    """The entry point uvicorn's worker processes import (see the module docstring)."""
    sources = json.loads(os.environ.get(SOURCES_VARIABLE) or '{"config": null, "overrides": {}}')
    settings = load_settings(sources["config"], sources["overrides"])
    configure_logging(settings.log_level, settings.log_format)  # each worker's own root logger
    app = build_app(settings)
    tune_garbage_collector(settings.gc_threshold)
    return app
