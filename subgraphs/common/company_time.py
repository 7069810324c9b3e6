"""The company's time zone: where date-times are shown and months (periods) are counted.

Both subgraphs answer every ``DateTime`` in this zone, with its offset
(``2026-11-25T09:30:00+08:00``, whatever zone a value was given or stored in), and count
periods (``YYYY-MM``), business-code months and "today" on its clock. It is
``TANDEM_COMPANY_TIMEZONE``, an IANA zone name; default :data:`DEFAULT_COMPANY_TIMEZONE`
(China Standard Time, no daylight saving). The subgraph settings check the name at start-up
(:mod:`subgraphs.common.settings`); it is read from the environment when used, so nothing is
decided at import time.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tandem_shared.timestamps import require_aware

__all__ = [
    "COMPANY_TIMEZONE_VARIABLE",
    "DEFAULT_COMPANY_TIMEZONE",
    "company_zone",
    "in_company_zone",
    "zone_named",
]

COMPANY_TIMEZONE_VARIABLE: Final = "TANDEM_COMPANY_TIMEZONE"
DEFAULT_COMPANY_TIMEZONE: Final = "Asia/Shanghai"


@lru_cache(maxsize=8)
def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError naming the variable if there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{COMPANY_TIMEZONE_VARIABLE} must be an IANA time zone name such as "
            f"{DEFAULT_COMPANY_TIMEZONE}"
        ) from None


def company_zone() -> ZoneInfo:
    """The configured company time zone."""
    name = os.environ.get(COMPANY_TIMEZONE_VARIABLE, "").strip() or DEFAULT_COMPANY_TIMEZONE
    return zone_named(name)


def in_company_zone(moment: datetime) -> datetime:
    """The aware ``moment`` on the company's clock (the same instant)."""
    return require_aware(moment).astimezone(company_zone())
