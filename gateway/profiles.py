"""What differs between development and production: this list, and nothing else.

``tandem serve`` and ``tandem dev`` build the same gateway (:mod:`gateway.http.factory`): the
same policy enforcement, encrypted fields, CSRF and CORS checks. A profile only adds the
conveniences a developer needs on one machine, and production refuses every one of them
(``env = "production"``; the settings model and each component check it again).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEVELOPMENT", "PRODUCTION", "Profile"]


@dataclass(frozen=True, slots=True)
class Profile:
    """The development conveniences a gateway runs with."""

    dev_identity_headers: bool
    """``X-Tandem-Dev-User`` and friends say who a request acts for (anyone can send them)."""
    builtin_provider: bool
    """``tandem dev`` serves its own OpenID provider at ``/dev-idp`` with one demo user per
    role, when no external ``oidc_issuer`` is configured."""
    generate_missing_keys: bool
    """The gateway's signing key, the field keyring and its master key are generated under
    ``data_dir`` when not given (production requires them: see deploy/)."""
    plain_http_cookies_on_loopback: bool
    """Session cookies without ``Secure`` when the gateway is served on a loopback address."""
    scratch_policy_database: bool
    """The run-time policy store is a SQLite file under ``data_dir``, seeded afresh from
    ``policies/`` at every start (production: ``policy_database_url``, kept)."""


DEVELOPMENT = Profile(
    dev_identity_headers=True,
    builtin_provider=True,
    generate_missing_keys=True,
    plain_http_cookies_on_loopback=True,
    scratch_policy_database=True,
)
PRODUCTION = Profile(
    dev_identity_headers=False,
    builtin_provider=False,
    generate_missing_keys=False,
    plain_http_cookies_on_loopback=False,
    scratch_policy_database=False,
)
