"""Command-line flags of ``tandem serve`` and ``tandem dev``: the strongest settings source.

Each flag sets one setting of :class:`~gateway.settings.Settings`; a flag not given leaves the
setting to the environment, the ``--config`` file or the default (flags default to ``None``).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_settings_flags", "flag_overrides"]

# flag destination -> setting name, for the flags whose names differ
_RENAMED = {"policy": "policy_dir"}
_NOT_SETTINGS = {"command", "config", "subgraph_timeout", "subgraph_url"}


def add_settings_flags(parser: argparse.ArgumentParser, *, development: bool = False) -> None:
    """The flags of ``tandem serve`` (``development``: the few ``tandem dev`` takes)."""
    parser.add_argument(
        "--config", metavar="FILE", help="TOML settings file (flat keys named like the settings)"
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", help="port to listen on (default 4000)")
    if development:
        return
    parser.add_argument("--supergraph", help="supergraph SDL file")
    parser.add_argument("--workers", help="worker processes (default 1)")
    parser.add_argument(
        "--subgraph-timeout",
        action="append",
        metavar="[NAME=]SECONDS",
        help="seconds a subgraph may take (all, or NAME only); repeatable; default 30",
    )
    parser.add_argument("--max-body-bytes", help="larger requests get 413 (default 1000000)")
    parser.add_argument(
        "--subgraph-url",
        action="append",
        metavar="NAME=URL",
        help="route a subgraph elsewhere than its join__graph URL (repeatable)",
    )
    parser.add_argument(
        "--policy", metavar="DIR", help="enforce casbin policies: DIR/model.conf + policy.csv"
    )
    parser.add_argument(
        "--authz-mode",
        choices=("filter", "reject", "dry-run"),
        help="filter (default); reject: refuse the operation; dry-run: log decisions only",
    )
    parser.add_argument(
        "--schema-visibility",
        choices=("full", "filtered"),
        help="filtered: introspection and GET /schema show each caller what they may read",
    )
    parser.add_argument(
        "--authz-explain",
        action="store_const",
        const=True,
        help="name rules in FORBIDDEN errors",
    )
    parser.add_argument(
        "--authz-default", choices=("deny", "allow"), help="fields no rule mentions (deny)"
    )
    parser.add_argument("--log-level", help="critical, error, warning (default), info, debug")


def flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags in ``args`` give (``None``: not given)."""
    overrides = {
        _RENAMED.get(name, name): value
        for name, value in vars(args).items()
        if name not in _NOT_SETTINGS and value is not None
    }
    for item in getattr(args, "subgraph_timeout", None) or ():
        name, separator, seconds = item.rpartition("=")
        if separator:
            overrides.setdefault("subgraph_timeouts", {})[name] = seconds
        else:
            overrides["subgraph_timeout"] = seconds
    for item in getattr(args, "subgraph_url", None) or ():
        name, _, url = item.partition("=")
        overrides.setdefault("subgraph_urls", {})[name] = url
    return overrides
