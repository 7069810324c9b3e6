"""Which exporter the settings (or ``OTEL_TRACES_EXPORTER``) name, whose ``traceparent`` is
trusted, and a refused ``trace_parent_from``."""

from __future__ import annotations

import pytest

from gateway.settings import Settings, SettingsError, load_settings
from gateway.telemetry.tracing import TraceParentTrust, exporter_named


def test_the_setting_names_the_exporter_else_the_standard_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert exporter_named(None) is None  # tracing is opt-in
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    assert exporter_named(None) == "otlp"
    assert exporter_named("off") is None  # the setting wins
    assert exporter_named("console") == "console"
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")  # not one this gateway ships
    assert exporter_named(None) is None


def test_trusted_parents_by_address() -> None:
    blocks = TraceParentTrust(("10.0.0.0/8", "fd00::/8"))
    assert blocks.trusts("10.1.2.3") and blocks.trusts("fd00::1")
    assert not blocks.trusts("192.168.1.1") and not blocks.trusts(None)
    assert not blocks.trusts("not-an-address")
    assert TraceParentTrust(("*",)).trusts(None)
    assert not TraceParentTrust(()).trusts("127.0.0.1")


def test_a_trace_parent_entry_that_is_no_cidr_block_is_refused() -> None:
    assert Settings(trace_parent_from="*, 10.0.0.0/8").trace_parent_from == ("*", "10.0.0.0/8")
    with pytest.raises(SettingsError) as refused:
        load_settings(None, {"trace_parent_from": "10.0.0.0/8,proxy.internal"})
    assert "trace_parent_from" in refused.value.message
    assert "'proxy.internal' is neither `*` nor a CIDR block" in refused.value.message
