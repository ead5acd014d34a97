"""Check-in taps (a performer) and the round's View (a coordinator)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.checkins import Tap, lines, open_round, record
from bot.delivery.content import live_checkin
from bot.meta import pack, unpack_int
from bot.worker import JobContext
from handlers.blocks.boundaries import changes_modal
from handlers.blocks.checkin import round_modal
from handlers.blocks.messages import checkin_live
from handlers.defer import submitting
from storage import audit, boundaries
from storage.db import session_scope
from storage.models import CheckinRound, Role
from storage.scoped import owned

log = logging.getLogger(__name__)

TOLD = {
    Tap.GOOD: "Thank you. Your coordinator sees it; nobody else does.",
    Tap.ADJUST: "Your coordinator has been told. Tell them what to change in the form.",
    Tap.PAUSE: "Your coordinator has been alerted and is on their way. You can stop now.",
}


def _tap(tap: Tap) -> Any:
    def job(ctx: JobContext, payload: dict[str, str]) -> None:
        tapped(ctx, payload, tap)

    job.__name__ = f"checkin_{tap.value}"
    return job


def tapped(job: JobContext, payload: dict[str, str], tap: Tap) -> None:
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        round_ = open_round(
            session,
            unpack_int(payload["value"], "checkin", "r"),
            payload["user_id"],
            team_id=payload["team_id"],
        )
        record(session, round_, performer=payload["user_id"], tap=tap, now=now)
        round_id = round_.id
        view = None
        if tap is Tap.ADJUST:
            scene = round_.scene
            stated = boundaries.boundaries_before(
                session, scene_id=scene.id, performer=payload["user_id"]
            )
            view = changes_modal(
                scene,
                items=boundaries.checklist(session, scene.production_id),
                stated=stated[1] if stated else None,
                metadata=pack("changes", s=scene.id, r=scene.revision),
            )
    job.wake()  # a pause alert goes now
    if view is not None:  # the boundaries form, with their current answers, at once
        job.client.views_open(trigger_id=payload["trigger_id"], view=view)
    if job.response_url:
        job.respond()(text=TOLD[tap], response_type="ephemeral", replace_original=False)
    update_live(job, round_id)


def update_live(job: JobContext, round_id: int) -> None:
    """Every coordinator's live message of the round shows the counts as they are now."""
    with session_scope(job.services.session_factory) as session:
        round_ = session.get(CheckinRound, round_id)
        if round_ is None:
            return
        out = checkin_live(live_checkin(session, round_))
        targets = [tuple(v) for v in round_.live.values() if len(v) == 2 and v[0] and v[1]]
    for channel, ts in targets:
        try:
            job.client.chat_update(channel=channel, ts=ts, text=out.text, blocks=out.blocks)
        except SlackApiError as error:
            log.warning("could not update a live check-in (%s)", error.response.get("error"))


def _coordinator_round(session: Session, payload: dict[str, str]) -> CheckinRound:
    round_ = owned(
        session,
        CheckinRound,
        unpack_int(payload["value"], "checkin", "r"),
        team_id=payload["team_id"],
    )
    if round_ is None:
        raise Refusal("This check-in is no longer available.")
    require(
        session,
        production=round_.scene.production,
        team_id=payload["team_id"],
        user_id=payload["user_id"],
        roles=(Role.COORDINATOR,),
        doing="see check-in answers",
    )
    return round_


def view(job: JobContext, payload: dict[str, str]) -> None:
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        round_ = _coordinator_round(session, payload)
        modal = round_modal(round_, lines(session, round_, now=now))
        audit.record(
            session,
            at=now,
            team_id=payload["team_id"],
            actor=payload["user_id"],
            action="checkin.read",
            production_id=round_.production_id,
            subject=f"scene:{round_.scene.number}",
            detail={"round": round_.number},
        )
    job.client.views_open(trigger_id=payload["trigger_id"], view=modal)


good_clicked = submitting(_tap(Tap.GOOD))
adjust_clicked = submitting(_tap(Tap.ADJUST))
pause_clicked = submitting(_tap(Tap.PAUSE))
view_clicked = submitting(view, urgent=True)
