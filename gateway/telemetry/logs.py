"""Logs: ``text`` or ``json`` lines (``log_format``), and one line per GraphQL operation.

With ``json`` every record is one JSON object on one line (``time``, ``level``, ``logger``,
``message``, and the record's fields), which log shippers read without a parsing rule. The
request line (logger ``tandem.request``, level ``info``, so seen with ``log_level=info``)
carries the fields the README's Operating / Logs lists: request id, operation name and
document hash, caller subject, status, outcome, duration and subgraph timings. Never the
document's text, variables, tokens or decrypted values.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["FIELDS", "REQUEST_LOGGER", "JsonFormatter", "configure_logging"]

REQUEST_LOGGER = "tandem.request"
FIELDS = "tandem_fields"
"""The attribute of a log record holding its structured fields (``extra={FIELDS: {...}}``)."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """The usual line, with the record's fields as ``key=value`` after the message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, FIELDS, None)
        if not fields:
            return line
        pairs = " ".join(
            f"{key}={orjson.dumps(value).decode() if not isinstance(value, str) else value}"
            for key, value in fields.items()
            if value is not None
        )
        return f"{line} {pairs}"


def configure_logging(level: str, form: str) -> None:
    """The root logger at ``level``, its handlers writing ``form`` (``text`` or ``json``)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    formatter = JsonFormatter() if form == "json" else TextFormatter()
    for handler in root.handlers:
        handler.setFormatter(formatter)
