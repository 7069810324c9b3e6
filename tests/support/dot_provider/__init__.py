"""A second, independent OpenID provider for the SSO tests: django-oauth-toolkit (DOT).

DOT is a maintained OAuth 2.0 / OpenID Connect provider for Django, installed from PyPI
(the dev extra pins it). This package is the small Django project a customer would write
around it, configured through DOT's documented settings and extension points only:

- ``settings.py``: OIDC on, RS256 ID tokens, PKCE required, RP-initiated logout on, the
  scopes ``openid profile email`` and ``introspection`` (no ``offline_access``: refresh
  tokens come with every code grant), no back-channel logout, no ``sid``;
- ``provider.py``: the claims the customer's directory adds (``employee_id``,
  ``department``, ``groups`` from Django groups, name, email) through DOT's
  ``OAuth2Validator.get_additional_claims``; an ``ACCESS_TOKEN_GENERATOR`` that issues
  RS256 JWT access tokens (with ``username``, as introspection names the user) to
  applications whose name starts with ``jwt:`` (others get
  DOT's opaque tokens, checked by introspection, whose answer names ``username`` and no
  ``sub``); ``/api/me``, a plain OAuth 2.0 "who am I" endpoint for a non-OpenID client;
- ``asgi.py``: migrates a fresh SQLite database, creates the people and applications the
  fixture describes (``DOT_SEED``, JSON), and serves the project.

``fixture.py`` starts it on a free loopback port per test session (``dot_provider``).
"""
