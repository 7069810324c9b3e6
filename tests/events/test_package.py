"""The package's public names: what ``subgraphs.common.events`` promises to importers."""

from __future__ import annotations

import importlib

import subgraphs.common.events as events

MODULES = [
    "bus",
    "consumer",
    "feed",
    "inbox",
    "loops",
    "memory_bus",
    "outbox",
    "redis_bus",
    "relay",
    "worker",
]


def test_public_names_are_stable() -> None:
    assert sorted(events.__all__) == sorted(
        [
            "PROCESSED_EVENTS_TABLE",
            "Backoff",
            "BusUnavailable",
            "Delivery",
            "Event",
            "EventBus",
            "EventBusError",
            "EventConsumer",
            "EventWorker",
            "Handler",
            "InProcessBus",
            "JSONObject",
            "OutboxRelay",
            "Receipt",
            "RedisStreamBus",
            "Subscription",
            "add_event",
            "create_outbox_table",
            "create_processed_events_table",
            "handle_once",
            "open_bus",
            "outbox_table",
        ]
    )


def test_every_module_documents_itself_and_exports_what_it_defines() -> None:
    for name in MODULES:
        module = importlib.import_module(f"subgraphs.common.events.{name}")
        assert module.__doc__, name
        for exported in module.__all__:
            assert hasattr(module, exported), f"{name}.{exported}"
