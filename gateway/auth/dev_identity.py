"""A development-only way to say who a request acts for, until single sign-on is configured.

With the setting ``dev_identity`` (``TANDEM_DEV_IDENTITY=1``; ``tandem dev`` turns it on, see
``gateway/profiles.py``) the gateway believes the headers
``X-Tandem-Dev-User`` (subject), ``X-Tandem-Dev-Name``, ``X-Tandem-Dev-Roles`` (comma
separated) and ``X-Tandem-Dev-Department``. Anyone can send such headers, so this refuses to
be enabled when ``TANDEM_ENV=production``; without it, requests carry no identity and the
OA/ERP subgraphs refuse them (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tandem_shared.tokens import Principal

from ..errors import RequestError, TandemError

__all__ = ["DevIdentity"]

_NAME = re.compile(r"^[A-Za-z0-9_.@:-]{1,128}$")


class DevIdentity:
    """Reads a principal from development headers."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        env = environ
        if env.get("TANDEM_ENV", "development").strip().lower() == "production":
            raise TandemError("TANDEM_DEV_IDENTITY cannot be enabled in production")

    def principal(self, headers: Mapping[str, str]) -> Principal | None:
        subject = headers.get("x-tandem-dev-user")
        if subject is None:
            return None
        roles = tuple(r.strip() for r in headers.get("x-tandem-dev-roles", "").split(",") if r)
        department = headers.get("x-tandem-dev-department") or None
        for value in (subject, *roles, *([department] if department else [])):
            if not _NAME.match(value):
                raise RequestError(
                    "invalid development identity header", code="BAD_REQUEST", status=400
                )
        name = headers.get("x-tandem-dev-name", subject)[:200]
        return Principal(subject=subject, name=name, roles=roles, department=department)
