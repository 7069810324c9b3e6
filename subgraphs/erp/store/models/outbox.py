"""The ERP's own transactional outbox (``erp_outbox``), written in the business transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from subgraphs.common.timestamps import AwareDateTime
from subgraphs.erp.store.base import Base

__all__ = ["OutboxEvent"]


class OutboxEvent(Base):
    """An event to publish: ``topic``, a JSON ``payload``, and when it was published (if yet)."""

    __tablename__ = "erp_outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
