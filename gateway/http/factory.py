"""Build the app from the environment: the entry point uvicorn workers import.

``tandem serve`` validates its options, then passes them to each worker process through
``TANDEM_*`` environment variables.
"""

from __future__ import annotations

import gc
import os

import httpx
from starlette.applications import Starlette

from ..auth import (
    BearerAuthenticator,
    DevIdentity,
    Identifier,
    SubgraphTokens,
    load_gateway_key,
    load_providers,
)
from ..auth.browser_safety import cors_origins
from ..auth.integrators import from_environment as integrators_from_environment
from ..auth.routes import SSO
from ..authz.authorizer import Authorizer
from ..authz.dry_run import DryRunAuthorizer
from ..authz.enforcer import PolicyEnforcer
from ..authz.runtime import PolicyRuntime
from ..authz.visibility import SchemaVisibility
from ..crypto.runtime import FieldCrypto
from ..executor.transport import AiohttpTransport
from ..pipeline import Gateway
from ..supergraph import load_supergraph
from .app import create_app

__all__ = ["app_from_environment"]


def tune_garbage_collector() -> None:
    """Collect young objects less often, and never scan what start-up allocated.

    A response builds tens of thousands of short-lived dicts and lists that reference counting
    frees at once; with the default thresholds the cyclic collector still runs every few
    hundred allocations and walks them all, which cost a third of the gateway's CPU on the
    benchmark. ``TANDEM_GC_THRESHOLD`` (default 50000) sets the youngest generation's
    threshold; ``0`` keeps Python's defaults.
    """
    threshold = int(os.environ.get("TANDEM_GC_THRESHOLD", "50000"))
    if threshold > 0:
        gc.freeze()  # the schema, plans' caches and modules loaded so far: never collected
        gc.set_threshold(threshold, 20, 100)


def app_from_environment() -> Starlette:
    supergraph = load_supergraph(os.environ["TANDEM_SUPERGRAPH"])
    timeouts = {}
    for item in filter(None, os.environ.get("TANDEM_SUBGRAPH_TIMEOUT", "").split(",")):
        name, _, seconds = item.partition("=")
        timeouts[name] = float(seconds)
    default = timeouts.pop("*", 30.0)
    max_body = int(os.environ.get("TANDEM_MAX_BODY_BYTES", "1000000"))
    transport = AiohttpTransport(timeout=default, timeouts=timeouts)
    dev_identity = DevIdentity() if DevIdentity.enabled() else None
    providers = load_providers()
    bearer = BearerAuthenticator(providers, httpx.AsyncClient(timeout=5)) if providers else None
    rate_limiter, trusted_documents = integrators_from_environment(os.environ)
    sso = SSO.from_environ()
    identifier = Identifier(
        sessions=sso.principal if sso is not None else None,
        bearer=bearer,
        dev_identity=dev_identity,
        rate_limiter=rate_limiter,
        trusted_documents=trusted_documents,
    )
    tokens = None
    if (
        dev_identity is not None
        or bearer is not None
        or sso is not None
        or os.environ.get("TANDEM_GATEWAY_KEY_FILE")
    ):
        tokens = SubgraphTokens(load_gateway_key())
    authorizer = None
    runtime = None
    visibility = None
    policy_dir = os.environ.get("TANDEM_POLICY_DIR")
    if policy_dir:
        enforcer = PolicyEnforcer(
            f"{policy_dir}/model.conf",
            f"{policy_dir}/policy.csv",
            default_allow=os.environ.get("TANDEM_AUTHZ_DEFAULT") == "allow",
        )
        runtime = PolicyRuntime.from_environment(enforcer)
        mode = os.environ.get("TANDEM_AUTHZ_MODE", "filter")
        if os.environ.get("TANDEM_SCHEMA_VISIBILITY") == "filtered":
            visibility = SchemaVisibility(supergraph.api_schema, enforcer)
        authorizer = (DryRunAuthorizer if mode == "dry-run" else Authorizer)(
            supergraph.api_schema,
            enforcer,
            reject=mode == "reject",
            explain=bool(os.environ.get("TANDEM_AUTHZ_EXPLAIN")),
        )
    urls = dict(
        item.partition("=")[::2]
        for item in filter(None, os.environ.get("TANDEM_SUBGRAPH_URLS", "").split(","))
    )
    crypto = FieldCrypto.from_environment(  # encrypted fields: keys, audit log (None if none)
        supergraph,
        authorizer.enforcer if authorizer is not None else None,
        explain=bool(os.environ.get("TANDEM_AUTHZ_EXPLAIN")),
    )
    gateway = Gateway(
        supergraph,
        subgraph_urls=urls,
        transport=transport,
        tokens=tokens,
        authorizer=authorizer,
        visibility=visibility,
        crypto=crypto,
    )
    app = create_app(
        gateway,
        max_body_bytes=max_body,
        identifier=identifier,
        sso=sso,
        cors_origins=cors_origins(),
    )
    if runtime is not None:
        runtime.install(app, identifier.identify)  # /admin/graphql, store sync, watcher
    if crypto is not None:
        app.router.routes.extend(crypto.routes(identifier.identify))  # /admin/crypto/graphql
    tune_garbage_collector()
    return app
