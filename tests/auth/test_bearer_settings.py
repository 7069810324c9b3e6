"""Provider settings for bearer tokens: the file formats, the environment, and what is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.providers import (
    DEFAULT_ALGORITHMS,
    ClaimMapping,
    IntegratorClient,
    IntrospectionSettings,
    ProviderSettings,
    ProviderSettingsError,
    load_providers,
    parse_providers,
    read_providers_file,
)

ISSUER = "https://idp.example.com/realms/acme"

TOML = """
[[providers]]
issuer = "https://idp.example.com/realms/acme"
audiences = ["tandem-api"]
algorithms = ["RS256", "ES256"]
leeway = 10
require_listed_clients = true

[providers.claims]
roles = "realm_access.roles"

[providers.introspection]
client_id = "tandem-gateway"
client_secret_env = "IDP_SECRET"
cache_seconds = 20

[providers.clients.reporting-bot]
subject = "svc:reporting"
rate_limit_per_minute = 600
trusted_documents = "reporting-v3"

[[providers]]
issuer = "http://127.0.0.1:8080/dev"
audiences = ["tandem-api", "tandem-reports"]
"""


def test_defaults() -> None:
    provider = ProviderSettings(issuer=ISSUER, audiences=("tandem-api",))
    assert provider.discovery_url == f"{ISSUER}/.well-known/openid-configuration"
    assert provider.algorithms == DEFAULT_ALGORITHMS
    assert (provider.leeway, provider.jwks_refresh_interval) == (30.0, 30.0)
    assert provider.claims == ClaimMapping(roles="roles", department="department", name="name")
    assert provider.introspection is None and not provider.opaque_tokens
    assert dict(provider.clients) == {} and not provider.require_listed_clients


def test_a_toml_file_and_its_json_twin_read_the_same(tmp_path: Path) -> None:
    import tomllib

    environ = {"IDP_SECRET": "s3cret"}
    (tmp_path / "providers.toml").write_text(TOML)
    (tmp_path / "providers.json").write_text(json.dumps(tomllib.loads(TOML)))
    from_toml = read_providers_file(tmp_path / "providers.toml", environ)
    assert read_providers_file(tmp_path / "providers.json", environ) == from_toml
    first, second = from_toml
    assert first.algorithms == ("RS256", "ES256") and first.leeway == 10
    assert first.claims.roles == ("realm_access.roles",) and first.claims.name == "name"
    assert first.introspection == IntrospectionSettings(
        client_id="tandem-gateway", client_secret="s3cret", cache_seconds=20
    )
    assert first.clients["reporting-bot"] == IntegratorClient(
        subject="svc:reporting", rate_limit_per_minute=600, trusted_documents="reporting-v3"
    )
    assert first.require_listed_clients
    assert second.audiences == ("tandem-api", "tandem-reports")
    assert "s3cret" not in repr(from_toml)


def test_the_environment_names_one_source(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(TOML)
    environ = {"TANDEM_BEARER_PROVIDERS_FILE": str(tmp_path / "p.toml"), "IDP_SECRET": "x"}
    assert len(load_providers(environ)) == 2
    inline = {"providers": [{"issuer": ISSUER, "audiences": ["a"]}]}
    assert load_providers({"TANDEM_BEARER_PROVIDERS": json.dumps(inline)})[0].issuer == ISSUER
    assert load_providers({}) == ()
    with pytest.raises(ProviderSettingsError, match="set only one of"):
        load_providers({**environ, "TANDEM_BEARER_ISSUER": ISSUER})


def test_one_provider_from_plain_variables() -> None:
    [provider] = load_providers(
        {
            "TANDEM_BEARER_ISSUER": ISSUER,
            "TANDEM_BEARER_AUDIENCES": "tandem-api, tandem-reports",
            "TANDEM_BEARER_ALGORITHMS": "ES256",
            "TANDEM_BEARER_LEEWAY": "5",
            "TANDEM_BEARER_ROLES_CLAIM": "groups",
            "TANDEM_BEARER_INTROSPECTION_CLIENT_ID": "gw",
            "TANDEM_BEARER_INTROSPECTION_CLIENT_SECRET": "s3cret",
        }
    )
    assert provider.audiences == ("tandem-api", "tandem-reports")
    assert (provider.algorithms, provider.leeway) == (("ES256",), 5.0)
    assert provider.claims.roles == ("groups",)
    assert provider.introspection is not None and provider.introspection.client_secret == "s3cret"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"algorithms": ["none"]}, "'none' is never allowed"),
        ({"algorithms": ["RS256", "HS256"]}, "HMAC"),
        ({"algorithms": ["XS256"]}, "not supported"),
        ({"algorithms": []}, "at least one"),
        ({"audiences": []}, "audiences"),
        ({"audiences": "tandem-api"}, "audiences must be a list"),
        ({"issuer": "http://idp.example.com"}, "https"),
        ({"jwks_url": "http://idp.example.com/jwks"}, "https"),
        ({"leeway": 3600}, "leeway"),
        ({"leeway": "30"}, "must be a number"),
        ({"jwks_refresh_interval": 0}, "jwks_refresh_interval"),
        ({"require_listed_clients": "yes"}, "true or false"),
        ({"audience": ["tandem-api"]}, "unknown setting 'audience'"),
        ({"claims": {"groups": "g"}}, "unknown setting 'groups'"),
        ({"clients": {"bot": {"subject": ""}}}, "subject"),
        ({"clients": {"bot": {"subject": "s", "rate_limit_per_minute": 0}}}, "positive"),
        ({"introspection": {"client_id": "gw"}}, "client_secret"),
        ({"introspection": {"client_id": "gw", "client_secret_env": "UNSET"}}, "UNSET"),
    ],
)
def test_unsafe_or_mistyped_settings_are_refused(change: dict[str, Any], message: str) -> None:
    provider = {"issuer": ISSUER, "audiences": ["tandem-api"], **change}
    with pytest.raises(ProviderSettingsError, match=message) as caught:
        parse_providers({"providers": [provider]}, {})
    assert caught.value.message.startswith("providers[0]")


def test_two_providers_may_not_share_an_issuer() -> None:
    provider = {"issuer": ISSUER, "audiences": ["a"]}
    with pytest.raises(ProviderSettingsError, match="same issuer"):
        parse_providers({"providers": [provider, provider]}, {})


def test_a_secret_never_appears_in_an_error(tmp_path: Path) -> None:
    introspection = {"client_id": "gw", "client_secret": "s3cret", "endpoint": "http://evil"}
    provider = {"issuer": ISSUER, "audiences": ["a"], "introspection": introspection}
    with pytest.raises(ProviderSettingsError) as caught:
        parse_providers({"providers": [provider]}, {})
    assert "s3cret" not in str(caught.value)


def test_the_clients_map_is_read_only() -> None:
    client = IntegratorClient(subject="svc:x")
    provider = ProviderSettings(issuer=ISSUER, audiences=("a",), clients={"x": client})
    with pytest.raises(TypeError):
        provider.clients["y"] = client  # type: ignore[index]
    assert isinstance(hash(provider), int)  # the clients map is left out of the hash
