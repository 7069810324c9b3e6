"""The settings model: where each value comes from, and that every bad value is refused by
name before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config_cli import to_toml
from gateway.settings import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_tandem_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from the defaults, whatever the shell running the suite exported."""
    import os

    for name in list(os.environ):
        if name.startswith("TANDEM_"):
            monkeypatch.delenv(name)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tandem.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_flags_beat_the_environment_which_beats_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _file(tmp_path, 'port = 4100\nhost = "0.0.0.0"\nworkers = 3\n')
    assert load_settings(config).port == 4100
    monkeypatch.setenv("TANDEM_PORT", "4200")
    monkeypatch.setenv("TANDEM_WORKERS", "2")
    settings = load_settings(config, {"port": "4300", "workers": None})
    assert (settings.port, settings.workers, settings.host) == (4300, 2, "0.0.0.0")
    assert load_settings().port == 4200  # no file, no flag: the environment


def test_lists_and_maps_read_from_the_environment_and_from_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_CORS_ORIGINS", "https://a.example, https://b.example:8443")
    monkeypatch.setenv("TANDEM_SUBGRAPH_URLS", "oa=http://oa:4201/graphql,erp=https://erp/graphql")
    monkeypatch.setenv("TANDEM_SUBGRAPH_TIMEOUTS", "erp=5")
    settings = load_settings()
    assert settings.cors_origins == ("https://a.example", "https://b.example:8443")
    assert settings.subgraph_urls == {"oa": "http://oa:4201/graphql", "erp": "https://erp/graphql"}
    assert settings.timeouts() == {"*": 30.0, "erp": 5.0}
    monkeypatch.delenv("TANDEM_CORS_ORIGINS")
    config = _file(tmp_path, 'cors_origins = ["https://c.example"]\n[subgraph_timeouts]\noa = 2\n')
    monkeypatch.delenv("TANDEM_SUBGRAPH_TIMEOUTS")
    from_file = load_settings(config)
    assert from_file.cors_origins == ("https://c.example",)
    assert from_file.subgraph_timeouts == {"oa": 2.0}


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("TANDEM_PORT", "70000", "setting port (TANDEM_PORT)"),
        ("TANDEM_PORT", "http", "setting port (TANDEM_PORT)"),
        ("TANDEM_WORKERS", "0", "setting workers (TANDEM_WORKERS)"),
        ("TANDEM_AUTHZ_MODE", "maybe", "setting authz_mode (TANDEM_AUTHZ_MODE)"),
        ("TANDEM_CORS_ORIGINS", "app.example", "setting cors_origins (TANDEM_CORS_ORIGINS)"),
        ("TANDEM_SUBGRAPH_URLS", "oa", "setting subgraph_urls (TANDEM_SUBGRAPH_URLS)"),
        ("TANDEM_SUBGRAPH_URLS", "oa=ftp://x", "setting subgraph_urls (TANDEM_SUBGRAPH_URLS)"),
        ("TANDEM_SUBGRAPH_TIMEOUTS", "oa=-1", "setting subgraph_timeouts"),
        ("TANDEM_SUBGRAPH_TIMEOUT", "soon", "setting subgraph_timeout (TANDEM_SUBGRAPH_TIMEOUT)"),
        ("TANDEM_SESSION_TTL", "5", "setting session_ttl (TANDEM_SESSION_TTL)"),
        ("TANDEM_ENV", "staging", "setting env (TANDEM_ENV)"),
    ],
)
def test_a_bad_value_names_its_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert named in raised.value.message


def test_settings_that_contradict_each_other_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [
        ({"TANDEM_ENV": "production", "TANDEM_DEV_IDENTITY": "1"}, "dev_identity"),
        ({"TANDEM_ENV": "production", "TANDEM_AUTHZ_DEFAULT": "allow"}, "authz_default"),
        ({"TANDEM_OIDC_ISSUER": "https://idp.example"}, "oidc_client_id and oidc_redirect_uri"),
        ({"TANDEM_BEARER_ISSUER": "https://idp.example"}, "bearer_audiences"),
        ({"TANDEM_OIDC_SCOPES": "profile email"}, "must include openid"),
    ]
    for variables, problem in cases:
        with monkeypatch.context() as scoped:
            for name, value in variables.items():
                scoped.setenv(name, value)
            with pytest.raises(SettingsError) as raised:
                load_settings()
            assert problem in raised.value.message, raised.value.message


def test_config_files_that_cannot_be_used_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"config file .*missing\.toml"):
        load_settings(tmp_path / "missing.toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(_file(tmp_path, "port = \n"))
    with pytest.raises(SettingsError, match=r"unknown setting.*prot"):
        load_settings(_file(tmp_path, "prot = 4000\n"))


def test_secrets_come_from_files_and_are_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "client-secret"
    secret.write_text("s3cr3t-value\n", encoding="utf-8")
    monkeypatch.setenv("TANDEM_OIDC_CLIENT_SECRET_FILE", str(secret))
    settings = load_settings()
    assert settings.oidc_client_secret is not None
    assert settings.oidc_client_secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" not in to_toml(settings.redacted())
    assert settings.redacted()["oidc_client_secret"] == "<redacted>"
    monkeypatch.setenv("TANDEM_OIDC_CLIENT_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match="oidc_client_secret_file: cannot read"):
        load_settings()


def test_the_shown_configuration_is_a_config_file_giving_the_same_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_CORS_ORIGINS", "https://a.example")
    monkeypatch.setenv("TANDEM_SUBGRAPH_URLS", "oa=http://oa:4201/graphql")
    monkeypatch.setenv("TANDEM_POLICY_DIR", "policies")
    shown = load_settings()
    for name in ("TANDEM_CORS_ORIGINS", "TANDEM_SUBGRAPH_URLS", "TANDEM_POLICY_DIR"):
        monkeypatch.delenv(name)
    again = load_settings(_file(tmp_path, to_toml(shown.redacted())))
    assert again == shown


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]
