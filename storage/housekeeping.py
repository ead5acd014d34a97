"""Tidying tables that only grow: run now and then by the delivery scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.models import DispatcherInstance, ProcessedEvent

KEEP_EVENT_IDS = timedelta(days=2)
"""Slack retries an event for minutes, not days: event ids older than this are forgotten."""
KEEP_INSTANCES = timedelta(days=1)


def tidy(session: Session, *, now: datetime) -> int:
    """Delete what is no longer needed; returns how many rows went."""
    events = session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.received_at < now - KEEP_EVENT_IDS)
    )
    instances = session.execute(
        delete(DispatcherInstance).where(DispatcherInstance.seen_at < now - KEEP_INSTANCES)
    )
    return int(getattr(events, "rowcount", 0) or 0) + int(getattr(instances, "rowcount", 0) or 0)
