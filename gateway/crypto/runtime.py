"""Encrypted fields in the gateway: keys, the decryption audit, and what the pipeline asks.

- *validate*, *authorize*: :attr:`FieldCrypto.fields` (``gateway/encrypted_fields.py``: read
  from the supergraph) and :attr:`FieldCrypto.enforcer` (None: no policy,
  so no form for anyone), which the authorization decision reads
  (``gateway/authz/protection.py``: who gets which form);
- *protect*: :meth:`FieldCrypto.reader` (one per request: plaintexts and masks) and, before
  the response leaves, its ``flush`` (the audit records of the plaintexts);
- *admin*: :meth:`FieldCrypto.routes` (``/admin/crypto/graphql``, auditors read the log).

:meth:`FieldCrypto.from_environment` builds it from the keyring settings
(``tandem_shared/crypto_keys.py``) and ``TANDEM_AUDIT_DATABASE_URL`` (default: SQLite
``<data dir>/gateway-audit.db``); it is None for a supergraph with no encrypted field. Without
a policy enforcer nobody may read an encrypted field in any form, and :meth:`FieldCrypto.closed`
(what a gateway built without one uses) holds no keys at all: every encrypted field is denied
when authorized, so a gateway that was not given its keys never passes envelopes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from starlette.routing import Route

from tandem_shared.tokens import Principal

from ..authz.enforcer import PolicyEnforcer
from ..encrypted_fields import EncryptedFields
from ..supergraph import Supergraph
from .audit import AuditLog, SqlAuditLog
from .audit_api import AuditAPI, Identify, audit_route
from .keyring import FieldKeyring
from .reader import FieldReader

__all__ = ["FieldCrypto"]


class FieldCrypto:
    def __init__(
        self,
        supergraph: Supergraph,
        keyring: FieldKeyring | None,
        audit: AuditLog | None,
        enforcer: PolicyEnforcer | None = None,
        *,
        fields: EncryptedFields | None = None,
        explain: bool = False,
    ) -> None:
        self.fields = fields if fields is not None else EncryptedFields.from_supergraph(supergraph)
        self.keyring = keyring
        self.audit = audit
        self.enforcer = enforcer
        self.explain = explain  # FORBIDDEN errors of encrypted fields name the deciding rule

    @classmethod
    def from_environment(
        cls,
        supergraph: Supergraph,
        enforcer: PolicyEnforcer | None,
        environ: Mapping[str, str],
        *,
        explain: bool = False,
    ) -> FieldCrypto | None:
        fields = EncryptedFields.from_supergraph(supergraph)
        if not fields:
            return None
        env = environ
        url = env.get("TANDEM_AUDIT_DATABASE_URL", "").strip()
        if not url:
            data_dir = Path(env.get("TANDEM_DATA_DIR") or ".tandem")
            data_dir.mkdir(parents=True, exist_ok=True)
            url = f"sqlite+aiosqlite:///{data_dir / 'gateway-audit.db'}"
        keyring = FieldKeyring.from_environment(env)
        return cls(supergraph, keyring, SqlAuditLog(url), enforcer, fields=fields, explain=explain)

    def for_supergraph(self, supergraph: Supergraph) -> FieldCrypto:
        """The same keys, audit log and policy for another supergraph's encrypted fields (a
        reload's)."""
        return type(self)(
            supergraph, self.keyring, self.audit, self.enforcer, explain=self.explain
        )

    @classmethod
    def closed(cls, supergraph: Supergraph) -> FieldCrypto | None:
        """No keys, no policy: every encrypted field null with ``FORBIDDEN``, never fetched."""
        fields = EncryptedFields.from_supergraph(supergraph)
        return cls(supergraph, None, None, None, fields=fields) if fields else None

    async def start(self) -> None:
        """Create or update the audit table (call once before serving)."""
        if isinstance(self.audit, SqlAuditLog):
            await self.audit.migrate()

    async def close(self) -> None:
        if isinstance(self.audit, SqlAuditLog):
            await self.audit.close()

    def reader(self, principal: Principal | None) -> FieldReader:
        return FieldReader(self.keyring, principal, self.audit)

    def routes(self, identify: Identify) -> list[Route]:
        if self.audit is None:
            return []
        return [audit_route(AuditAPI(self.audit, self.enforcer), identify)]
