"""The README's identity-provider examples are settings the gateway accepts as written.

Every TOML block of "Connecting your identity provider" is loaded like a ``--config`` file
(a secret file put where the example names one), and its providers and claim mappings are
built the way ``tandem serve`` builds them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.auth.oidc import OIDCSettings
from gateway.auth.providers import load_providers
from gateway.auth.routes import claim_mapping
from gateway.settings import load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Connecting your identity provider") :]
    section = section[: section.index("\n## ", 1)]
    found: dict[str, str] = {}
    for block in re.finditer(r"```toml\n(.*?)```", section, re.S):
        names = re.findall(r"\*\*([^*]+)\*\*", section[: block.start()])
        found[names[-1]] = block.group(1)
    return found


def test_the_section_has_the_worked_examples() -> None:
    names = set(examples())
    for provider in ("Keycloak", "Microsoft Entra ID", "Okta", "A generic OAuth 2.0 provider"):
        assert provider in names
    assert "django-oauth-toolkit" in names


@pytest.mark.parametrize("name", sorted(examples()))
def test_an_example_loads_as_written(name: str, tmp_path: Path) -> None:
    secret = tmp_path / "oidc-client-secret"
    secret.write_text("not-a-real-secret\n")
    config = tmp_path / "tandem.toml"
    config.write_text(examples()[name].replace("/run/secrets/oidc-client-secret", str(secret)))
    env = load_settings(config).environ()
    assert OIDCSettings.from_environ(env) is not None
    mapping = claim_mapping(env)
    assert mapping.subject != "sub" or name == "A generic OAuth 2.0 provider"
    if "bearer_issuer" in examples()[name]:
        (provider,) = load_providers(env)
        assert provider.claims.subject == mapping.subject or name == "django-oauth-toolkit"
