"""Opening an envelope in a test, as the gateway would: for subgraph tests that read encrypted
fields straight from a subgraph (which returns envelopes, never plaintext)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gateway.crypto.keyring import FieldKeyring

__all__ = ["opened", "opened_json"]


def opened(
    envelope: str, entity: str, entity_id: str, field: str, *, data_dir: Path | None = None
) -> str:
    """The plaintext of ``envelope`` with the keys the environment (or ``data_dir``'s
    development keys) name."""
    env = dict(os.environ) if data_dir is None else {"TANDEM_DATA_DIR": str(data_dir)}
    return FieldKeyring.from_environment(env).open(envelope, entity, entity_id, field).plaintext


def opened_json(
    value: dict[str, Any], entity: str, entity_id: str, field: str, **options: Any
) -> Any:
    """An object-typed encrypted field as a subgraph returns it (each leaf the envelope of the
    object's JSON), opened."""
    (envelope,) = {v for k, v in value.items() if k != "__typename"}
    return json.loads(opened(envelope, entity, entity_id, field, **options))
