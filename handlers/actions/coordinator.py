"""A coordinator's View buttons. The notice said only which scene; who and what are shown
here, in a modal, to a coordinator of that production, and the read is audited."""

from __future__ import annotations

from sqlalchemy import select

from bot.access import Refusal, require
from bot.checkins import is_wrapped
from bot.confirmations import (
    PerformerState,
    State,
    changes_between,
    offline_states,
    scene_states,
)
from bot.meta import unpack_int
from bot.text import mrkdwn_escape
from bot.worker import JobContext
from handlers.blocks.boundaries import answer_modal, notice_modal, status_modal
from handlers.coordinator_reads import audit_read, coordinator_of
from handlers.defer import submitting
from handlers.home_tab import refresh_production
from storage import audit, boundaries
from storage.db import session_scope
from storage.models import (
    BoundaryAnswer,
    CastEntry,
    Delivery,
    DeliveryKind,
    Production,
    Role,
    Scene,
)
from storage.scoped import owned

_WHAT = {
    DeliveryKind.REQUEST: "A request to the department",
    DeliveryKind.AD_REMINDER: "An AD reminder",
    DeliveryKind.DIGEST: "The daily digest",
    DeliveryKind.PROMPT: "the boundary check",
    DeliveryKind.NUDGE: "the reminder to answer the boundary check",
    DeliveryKind.LAPSED: "the notice that the scene changed",
    DeliveryKind.REMOVED: "the notice that the scene is off",
    DeliveryKind.ANSWER: "a boundary update",
    DeliveryKind.ESCALATION: "the missing-confirmations notice",
    DeliveryKind.SHORT_NOTICE: "the short-notice notice",
}


def view_answer(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        found = owned(
            session,
            BoundaryAnswer,
            unpack_int(payload["value"], "answer", "a"),
            team_id=payload["team_id"],
        )
        scene = session.get(Scene, found.scene_id) if found is not None else None  # A's own
        if found is None or scene is None:
            raise Refusal("This update is no longer available.")
        coordinator_of(session, scene, payload)
        stated, changes = boundaries.stated(session, found), None
        if stated is not None:
            before = boundaries.boundaries_before(
                session, scene_id=scene.id, performer=found.performer_id, before_id=found.id
            )
            changes = changes_between(before[1] if before else None, stated)
        who = next(
            (s for s in scene_states(session, scene) if s.user_id == found.performer_id), None
        )
        if who is None:  # no longer cast in it: their answer still stands on record
            entry = session.scalar(
                select(CastEntry).where(
                    CastEntry.production_id == scene.production_id,
                    CastEntry.slack_user_id == found.performer_id,
                )
            )
            who = PerformerState(
                found.performer_id,
                entry.performer_name if entry else "A performer no longer cast",
                entry.character if entry else "",
                State.NOT_CAST,
                None,
            )
        view = answer_modal(
            scene,
            who=who,
            kind=found.kind,
            at=found.at,
            changes=changes or [],
            stated=stated,
            zone=scene.production.time_zone,
        )
        audit_read(session, job, payload, scene, "boundaries.read", performer=found.performer_id)
    job.client.views_open(trigger_id=payload["trigger_id"], view=view)


def view_status(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        scene = owned(
            session, Scene, unpack_int(payload["value"], "status", "s"), team_id=payload["team_id"]
        )
        if scene is None:
            raise Refusal("This scene is no longer on the schedule.")
        coordinator_of(session, scene, payload)
        view = status_modal(
            scene,
            scene_states(session, scene),
            zone=scene.production.time_zone,
            offline=offline_states(scene),
            wrapped=is_wrapped(scene, job.services.clock.now()),
        )
        audit_read(session, job, payload, scene, "boundaries.status.read")
    job.client.views_open(trigger_id=payload["trigger_id"], view=view)


def view_failure(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        failed = owned(
            session,
            Delivery,
            unpack_int(payload["value"], "failure", "d"),
            team_id=payload["team_id"],
        )
        production = session.get(Production, failed.production_id) if failed else None
        if failed is None or production is None:
            raise Refusal("This notice is no longer available.")
        require(
            session,
            production=production,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            roles=(Role.COORDINATOR,),
            doing="see delivery problems",
        )
        scene = failed.scene
        reason = {
            "expired": "it could not be sent in time",
            "not_in_channel": "the app is not in that channel: invite it",
            "channel_not_found": "there is no such channel (or the app cannot see it)",
        }.get(failed.error or "", f"Slack answered `{failed.error}`")
        if failed.kind in (DeliveryKind.REQUEST, DeliveryKind.AD_REMINDER, DeliveryKind.DIGEST):
            where = (
                f"<#{failed.recipient}>"
                if failed.recipient[:1] in "CG"
                else (f"<@{failed.recipient}>")
            )
            text = (
                f"{_WHAT.get(failed.kind, 'A message')} could not be posted to {where}: {reason}."
            )
        else:
            who = None
            if scene is not None:
                who = next(
                    (s for s in scene_states(session, scene) if s.user_id == failed.recipient),
                    None,
                )
            name = (
                f"{mrkdwn_escape(who.name)} (<@{who.user_id}>)" if who else f"<@{failed.recipient}>"
            )
            about = f"Scene {scene.number}: " if scene is not None else ""
            text = (
                f"{about}{_WHAT.get(failed.kind, 'a message')} could not be delivered to "
                f"{name}: {reason}.\n\nCheck that their Slack account is active and that the "
                "cast list points at it; then reach them directly."
            )
        audit.record(
            session,
            at=job.services.clock.now(),
            team_id=payload["team_id"],
            actor=payload["user_id"],
            action="delivery.failure.read",
            production_id=production.id,
            subject=f"delivery:{failed.id}",
        )
    job.client.views_open(
        trigger_id=payload["trigger_id"], view=notice_modal("Delivery problem", text, escape=False)
    )


def sign_off(job: JobContext, payload: dict[str, str]) -> None:
    _set_sign_off(job, payload, signed=True)


def take_back(job: JobContext, payload: dict[str, str]) -> None:
    _set_sign_off(job, payload, signed=False)


def _set_sign_off(job: JobContext, payload: dict[str, str], *, signed: bool) -> None:
    """From the status modal: sign the scene off (only once every performer has confirmed)
    or take it back; the modal then shows the new state."""
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        scene = owned(
            session, Scene, unpack_int(payload["value"], "status", "s"), team_id=payload["team_id"]
        )
        if scene is None or scene.removed:
            raise Refusal("This scene is no longer on the schedule.")
        coordinator_of(session, scene, payload)
        states = scene_states(session, scene)
        offline = offline_states(scene)
        if signed:
            if (
                not (states or offline)
                or not all(s.state is State.CONFIRMED for s in states)
                or not all(o.confirmed for o in offline)
            ):
                raise Refusal(
                    "Not every performer has confirmed (in Slack, or in person for those who "
                    "cannot be asked there): the scene cannot be signed off."
                )
            scene.signed_off_revision = scene.revision
            scene.signed_off_by = payload["user_id"]
            scene.signed_off_at = now
        else:
            scene.signed_off_revision = None
        audit_read(
            session, job, payload, scene, "scene.sign_off" if signed else "scene.sign_off.undo"
        )
        view = status_modal(
            scene,
            states,
            zone=scene.production.time_zone,
            offline=offline,
            wrapped=is_wrapped(scene, now),
        )
        production_id = scene.production_id
    if payload.get("view_id") and payload.get("view_type") != "home":
        job.client.views_update(view_id=payload["view_id"], view=view)
    refresh_production(job, {"production_id": production_id, "team_id": payload["team_id"]})


answer_clicked = submitting(view_answer, urgent=True)
status_clicked = submitting(view_status, urgent=True)
failure_clicked = submitting(view_failure, urgent=True)
sign_off_clicked = submitting(sign_off)
take_back_clicked = submitting(take_back)
