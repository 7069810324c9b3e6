"""The declarative base of the ERP tables, ids, and the company's business calendar.

Periods are months written ``YYYY-MM`` (``2026-11``), counted in the company's time zone
(``TANDEM_COMPANY_TIMEZONE``, :mod:`subgraphs.common.company_time`).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Final

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from subgraphs.common.audit import audited
from subgraphs.common.company_time import company_zone, in_company_zone
from subgraphs.common.errors import BadUserInput
from tandem_shared.crypto_orm import seal_on_flush
from tandem_shared.timestamps import utc_now

__all__ = [
    "AUDIT_TABLE",
    "Base",
    "add_months",
    "audit_log",
    "code_period",
    "current_period",
    "new_id",
    "parse_period",
    "period_bounds",
    "period_of",
]

_PERIOD = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")

NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every ERP table (named ``erp_*``); constraint names follow :data:`NAMING_CONVENTION`."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


seal_on_flush(Base)  # marked columns hold envelopes, whatever code writes them

AUDIT_TABLE: Final = "erp_audit_log"
audit_log = audited(Base, AUDIT_TABLE)
"""Every change to the ERP tables, hash-chained (``python -m subgraphs.erp audit verify``)."""


def new_id(prefix: str) -> str:
    """A new stable id such as ``po-3f2a...`` (the prefix says what it identifies)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def parse_period(text: str, *, field: str = "period") -> str:
    """``text`` if it is a month ``YYYY-MM``, else ``BAD_USER_INPUT`` naming ``field``."""
    if not isinstance(text, str) or _PERIOD.match(text) is None:
        raise BadUserInput("A period is a month written YYYY-MM, e.g. 2026-11.", field=field)
    return text


def period_of(moment: datetime | date) -> str:
    """The ``YYYY-MM`` period of a date, or of an aware datetime on the company's clock."""
    if isinstance(moment, datetime):
        moment = in_company_zone(moment).date()
    return f"{moment.year:04d}-{moment.month:02d}"


def current_period() -> str:
    """This month, in the business time zone."""
    return period_of(utc_now())


def code_period(period: str) -> str:
    """``2026-11`` as the ``YYYYMM`` a business code is numbered in (``PO-202611-0001``)."""
    return period.replace("-", "")


def add_months(period: str, months: int) -> str:
    """The period ``months`` after (or before, if negative) ``period``."""
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The aware instants where ``period`` starts (inclusive) and ends (exclusive)."""
    year, month = int(period[:4]), int(period[5:7])
    zone = company_zone()
    start = datetime(year, month, 1, tzinfo=zone)
    following = add_months(period, 1)
    end = datetime(int(following[:4]), int(following[5:7]), 1, tzinfo=zone)
    return start, end
