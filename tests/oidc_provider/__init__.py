"""Tests of the OpenID provider harness (tests/support/oidc): it is a real, strict provider."""
