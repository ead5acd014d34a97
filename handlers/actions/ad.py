"""An AD's Snooze 10 min and Done on a reminder."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.meta import unpack_int
from bot.worker import JobContext
from handlers.blocks.messages import one_line
from handlers.defer import submitting
from storage import deliveries
from storage.db import session_scope
from storage.models import Delivery, DeliveryKind, Role, Scene
from storage.scoped import owned

SNOOZE = timedelta(minutes=10)


def _reminder(session: Session, payload: dict[str, str]) -> tuple[Delivery, Scene]:
    """The reminder the button is on, if the clicker may act on it: an AD or coordinator of
    its production, in its workspace, clicking the reminder message itself (a crafted click
    naming another message would otherwise have the bot overwrite that one)."""
    row = owned(
        session, Delivery, unpack_int(payload["value"], "adrem", "d"), team_id=payload["team_id"]
    )
    if row is None or row.kind is not DeliveryKind.AD_REMINDER or row.scene is None:
        raise Refusal("This reminder is no longer there.")
    require(
        session,
        production=row.scene.production,
        team_id=payload["team_id"],
        user_id=payload["user_id"],
        roles=(Role.AD, Role.COORDINATOR),
        doing="snooze or close AD reminders",
    )
    if (payload["channel"], payload["ts"]) != (row.channel, row.ts):
        raise Refusal("This button does not belong to this message.")
    return row, row.scene


def snooze(job: JobContext, payload: dict[str, str]) -> None:
    """The same reminder again in ten minutes (to the same place); this one says so."""
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        row, scene = _reminder(session, payload)
        if scene.removed or scene.start_at <= now:
            raise Refusal("This scene has started or is off the schedule: nothing to snooze.")
        count = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.key.like(f"snooze:{row.id}:%"))
        )
        deliveries.send_now(
            session,
            key=f"snooze:{row.id}:{(count or 0) + 1}",
            production_id=row.production_id,
            kind=DeliveryKind.AD_REMINDER,
            recipient=row.recipient,
            now=now + SNOOZE,
            scene_id=row.scene_id,
            revision=row.revision,
            detail={"snoozed": row.id},
        )
        number, zone = scene.number, scene.production.time_zone
    local = (now + SNOOZE).astimezone(ZoneInfo(zone))
    _close(job, payload, f"Scene {number}: snoozed by <@{payload['user_id']}> until {local:%H:%M}.")


def done(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        number = _reminder(session, payload)[1].number
    _close(job, payload, f"Scene {number}: done — <@{payload['user_id']}>.")


def _close(job: JobContext, payload: dict[str, str], line: str) -> None:
    if not payload["channel"] or not payload["ts"]:
        return
    job.client.chat_update(
        channel=payload["channel"],
        ts=payload["ts"],
        text=line,
        blocks=one_line(line),
    )


snooze_clicked = submitting(snooze)
done_clicked = submitting(done)
