"""What one gateway replica runs for its policy, configured from the environment.

With a policy database (``TANDEM_POLICY_DATABASE_URL``, or ``TANDEM_POLICY_STORE=database``
for the default SQLite file ``.tandem/policy.sqlite``): the store (migrated, and seeded from
the policy directory's ``policy.csv`` when empty), the sync that keeps this replica's enforcer
at the store's version, and the admin API at ``/admin/graphql``. Changes reach the other
replicas through Redis (``TANDEM_POLICY_REDIS_URL``, else ``TANDEM_REDIS_URL``) on the channel
``TANDEM_POLICY_CHANNEL`` (default ``tandem:policy``); without Redis, in-process only, plus a
check of the store's version every ``TANDEM_POLICY_POLL_SECONDS`` (default 2; 0 turns it off).

Without one, the policy files are hot-reloaded: checked every ``TANDEM_POLICY_POLL_SECONDS``.

``TANDEM_POLICY_SUBJECTS`` (comma separated, globs allowed) lists the subjects and roles a
rule may name; by default ``anonymous`` and the roles the policy directory's ``roles.csv``
declares (any subject when it has none).

Four-eyes (:mod:`gateway.authz.approvals`): the sensitive coordinates are the policy
directory's ``sensitive.csv`` (else ``policies/sensitive.csv``); ``TANDEM_POLICY_EMERGENCY_ROLES``
(comma separated; none by default) may apply a held change alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema
from starlette.applications import Starlette
from starlette.routing import Route

from .admin import Identify, PolicyAdminAPI, admin_route
from .admin_preview import PolicyPreviewer
from .approvals import FourEyes
from .enforcer import PolicyEnforcer
from .sensitive import DEFAULT_SENSITIVE_FILE, SensitiveCoordinates
from .store import PolicyStore
from .validation import RuleValidator, known_subjects
from .watcher import FilePolicyWatcher, LocalWatcher, PolicySync, PolicyWatcher, RedisWatcher

__all__ = ["DEFAULT_DATABASE_URL", "PolicyRuntime", "PolicySettings"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///.tandem/policy.sqlite"


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Where the policy lives and how replicas hear of changes."""

    database_url: str | None = None
    redis_url: str | None = None
    channel: str = "tandem:policy"
    subjects: tuple[str, ...] | None = None
    """None: ``anonymous`` and the roles of the policy folder's ``roles.csv``."""
    poll_interval: float = 2.0
    emergency_roles: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> PolicySettings:
        env = environ
        database_url = env.get("TANDEM_POLICY_DATABASE_URL") or None
        if database_url is None and env.get("TANDEM_POLICY_STORE", "").strip() == "database":
            database_url = DEFAULT_DATABASE_URL
        subjects = env.get("TANDEM_POLICY_SUBJECTS")
        return cls(
            database_url=database_url,
            redis_url=env.get("TANDEM_POLICY_REDIS_URL") or env.get("TANDEM_REDIS_URL") or None,
            channel=env.get("TANDEM_POLICY_CHANNEL") or "tandem:policy",
            subjects=(
                None
                if subjects is None
                else tuple(s.strip() for s in subjects.split(",") if s.strip())
            ),
            poll_interval=float(env.get("TANDEM_POLICY_POLL_SECONDS") or 2.0),
            emergency_roles=tuple(
                role.strip()
                for role in (env.get("TANDEM_POLICY_EMERGENCY_ROLES") or "").split(",")
                if role.strip()
            ),
        )


class PolicyRuntime:
    """The policy store, sync and admin API of one replica, or its policy-file watcher.

    ``await runtime.start()`` before serving (or ``async with runtime.running()``), ``await
    runtime.stop()`` after; :meth:`install` does both through a Starlette app's lifespan.
    """

    def __init__(
        self,
        enforcer: PolicyEnforcer,
        settings: PolicySettings,
        *,
        seed_path: str | Path | None = None,
        watcher: PolicyWatcher | None = None,
    ) -> None:
        self.enforcer = enforcer
        self.settings = settings
        subjects = settings.subjects
        if subjects is None:
            subjects = known_subjects(Path(enforcer.model_path).parent)
        self.validator = RuleValidator(subjects, relations=enforcer.relations)
        self.store: PolicyStore | None = None
        self.sync: PolicySync | None = None
        self.api: PolicyAdminAPI | None = None
        self.file_watcher: FilePolicyWatcher | None = None
        poll = settings.poll_interval or None
        if settings.database_url is not None:
            self.store = PolicyStore(
                settings.database_url,
                validator=self.validator,
                model_path=enforcer.model_path,
                seed_path=seed_path if seed_path is not None else enforcer.policy_path,
            )
            if watcher is None and settings.redis_url:
                watcher = RedisWatcher(settings.redis_url, settings.channel)
            self.sync = PolicySync(
                enforcer, self.store, watcher or LocalWatcher(), poll_interval=poll
            )
            sensitive = DEFAULT_SENSITIVE_FILE
            if enforcer.model_path is not None:
                beside = Path(enforcer.model_path).parent / "sensitive.csv"
                sensitive = beside if beside.is_file() else sensitive
            four_eyes = FourEyes(
                self.store,
                SensitiveCoordinates.load(sensitive),
                emergency_roles=settings.emergency_roles,
            )
            self.api = PolicyAdminAPI(self.store, self.sync, four_eyes=four_eyes)
        elif enforcer.policy_path is not None and poll:
            self.file_watcher = FilePolicyWatcher(enforcer, interval=poll)

    @classmethod
    def from_environment(
        cls, enforcer: PolicyEnforcer, environ: Mapping[str, str]
    ) -> PolicyRuntime:
        return cls(enforcer, PolicySettings.from_environment(environ))

    async def start(self) -> None:
        if self.store is not None and self.sync is not None:
            await self.store.open()
            await self.sync.start()
        elif self.file_watcher is not None:
            await self.file_watcher.start()

    async def stop(self) -> None:
        if self.sync is not None:
            await self.sync.stop()
        if self.store is not None:
            await self.store.close()
        if self.file_watcher is not None:
            await self.file_watcher.stop()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[PolicyRuntime]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    def routes(self, identify: Identify, *, path: str = "/admin/graphql") -> list[Route]:
        """The admin API's route; none for a file policy (edit the files instead)."""
        return [] if self.api is None else [admin_route(self.api, identify, path=path)]

    def install(
        self,
        app: Starlette,
        identify: Identify,
        *,
        schema_of: Callable[[], GraphQLSchema] | None = None,
    ) -> None:
        """Add the admin route to ``app`` and run this runtime inside ``app``'s lifespan;
        ``schema_of``, the API schema, lets the admin API preview changes and explain."""
        if self.api is not None and schema_of is not None:
            self.api.previewer = PolicyPreviewer(self.enforcer, schema_of, self.validator)
        app.router.routes.extend(self.routes(identify))
        inner = app.router.lifespan_context

        @contextlib.asynccontextmanager
        async def lifespan(application: Any) -> AsyncIterator[Any]:
            async with self.running(), inner(application) as state:
                yield state

        app.router.lifespan_context = lifespan
