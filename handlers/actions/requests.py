"""Buttons of requests and notes: Acknowledge (anyone in the channel); Remind, Edit and
Withdraw (the coordinator's list); Note to the coordinator (a performer); View and Turn into
request (a coordinator, on a note)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.meta import pack, unpack, unpack_int
from bot.requests import acknowledge, withdraw
from bot.text import mrkdwn_escape
from bot.worker import JobContext
from handlers.blocks.requests import edit_modal, note_view_modal
from handlers.defer import submitting
from handlers.modals.note import open_note_modal
from handlers.modals.request import open_request_modal
from handlers.request_list import blocks_for
from handlers.request_posts import refresh_posts
from storage import audit, deliveries
from storage.db import session_scope
from storage.models import (
    CastEntry,
    CoordinatorRequest,
    Delivery,
    DeliveryKind,
    PrivateNote,
    Production,
    RequestPost,
    RequestStatus,
    Role,
    Scene,
)
from storage.scoped import owned
from storage.secrets import unseal


def _coordinator_request(session: Session, payload: dict[str, str]) -> CoordinatorRequest:
    request = owned(
        session,
        CoordinatorRequest,
        unpack_int(payload["value"], "request", "r"),
        team_id=payload["team_id"],
    )
    if request is None:
        raise Refusal("This request no longer exists.")
    require(
        session,
        production=request.production,
        team_id=payload["team_id"],
        user_id=payload["user_id"],
        roles=(Role.COORDINATOR,),
        doing="manage requests",
    )
    return request


def acknowledge_job(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        post = owned(
            session,
            RequestPost,
            unpack_int(payload["value"], "ack", "p"),
            team_id=payload["team_id"],
        )
        if post is None or post.request.status is not RequestStatus.ACTIVE:
            raise Refusal("This request was withdrawn; there is nothing to acknowledge.")
        # Only on the request's own post, in its channel and workspace: an acknowledgement is
        # the department's, and a crafted click from elsewhere must not count as one.
        team = post.request.production.workspace.team_id
        if (payload["team_id"], payload["channel"], payload["ts"]) != (
            team,
            post.channel_id,
            post.ts,
        ):
            raise Refusal("This button does not belong to this message.")
        request_id = post.request_id
        added = acknowledge(session, post, user_id=payload["user_id"], now=job.services.clock.now())
    if not added:
        job.respond()(
            text="You have already acknowledged this request. Thank you.",
            response_type="ephemeral",
            replace_original=False,
        )
    refresh_posts(job.client, job.services.session_factory, request_id)


def remind_job(job: JobContext, payload: dict[str, str]) -> None:
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        request = _coordinator_request(session, payload)
        quiet = [post for post in request.posts if post.ts and not post.acks]
        for post in quiet:
            sent = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.key.like(f"remind:{post.id}:%"))
            )
            deliveries.send_now(
                session,
                key=f"remind:{post.id}:{(sent or 0) + 1}",
                production_id=request.production_id,
                kind=DeliveryKind.REQUEST,
                recipient=post.channel_id,
                now=now,
                scene_id=request.scene_id,
                detail={"post": post.id, "remind": 1},
            )
        channels = ", ".join(f"<#{post.channel_id}>" for post in quiet)
    job.wake()
    job.respond()(
        text=f"Reminder sent to {channels}." if quiet else "Every channel has acknowledged it.",
        response_type="ephemeral",
        replace_original=False,
    )


def edit_job(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        request = _coordinator_request(session, payload)
        view = edit_modal(request, metadata=pack("request", r=request.id))
    job.client.views_open(trigger_id=payload["trigger_id"], view=view)


def withdraw_job(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        request = _coordinator_request(session, payload)
        withdraw(session, request, actor=payload["user_id"], now=job.services.clock.now())
        request_id, production = request.id, request.production
        zone, name, production_id = production.time_zone, production.name, production.id
    refresh_posts(job.client, job.services.session_factory, request_id)
    with session_scope(job.services.session_factory) as session:
        blocks = blocks_for(session, production_id, zone, name)
    job.respond()(blocks=blocks, text=f"Requests · {mrkdwn_escape(name)}", replace_original=True)


def open_note(job: JobContext, payload: dict[str, str]) -> None:
    try:
        ids = unpack(payload["value"], "note")
    except ValueError:
        ids = {}
    scene = ids.get("s")
    with session_scope(job.services.session_factory) as session:
        open_note_modal(
            job.client,
            trigger_id=payload["trigger_id"],
            session=session,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            name=None,
            scene_id=int(scene) if isinstance(scene, int) else None,
            now=job.services.clock.now(),
        )


def _coordinator_note(session: Session, payload: dict[str, str]) -> PrivateNote:
    note = owned(
        session, PrivateNote, unpack_int(payload["value"], "note", "n"), team_id=payload["team_id"]
    )
    if note is None:
        raise Refusal("This note is no longer available.")
    production = session.get(Production, note.production_id)  # the note's own, of this workspace
    assert production is not None
    require(
        session,
        production=production,
        team_id=payload["team_id"],
        user_id=payload["user_id"],
        roles=(Role.COORDINATOR,),
        doing="read performers' notes",
    )
    return note


def view_note(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        note = _coordinator_note(session, payload)
        entry = session.scalar(
            select(CastEntry).where(
                CastEntry.production_id == note.production_id,
                CastEntry.slack_user_id == note.performer_id,
            )
        )
        production = session.get(Production, note.production_id)
        scene = session.get(Scene, note.scene_id) if note.scene_id else None
        assert production is not None
        view = note_view_modal(
            who=entry.performer_name if entry else "A performer",
            user_id=note.performer_id,
            scene=scene,
            at=note.at,
            text=unseal(session, note.text_ct) or "",
            zone=production.time_zone,
            note_id=note.id,
        )
        audit.record(
            session,
            at=job.services.clock.now(),
            team_id=payload["team_id"],
            actor=payload["user_id"],
            action="note.read",
            production_id=note.production_id,
            subject=f"note:{note.id}",
            detail={audit.PERFORMER: note.performer_id},
        )
    job.client.views_open(trigger_id=payload["trigger_id"], view=view)


def note_to_request(job: JobContext, payload: dict[str, str]) -> None:
    """From the note's modal: the request modal on top, with the note's text and scene and
    nothing of who wrote it."""
    with session_scope(job.services.session_factory) as session:
        note = _coordinator_note(session, payload)
        production = session.get(Production, note.production_id)
        assert production is not None
        open_request_modal(
            job.client,
            trigger_id=payload["trigger_id"],
            session=session,
            production=production,
            now=job.services.clock.now(),
            text=unseal(session, note.text_ct) or "",
            scene_id=note.scene_id,
            push=True,
        )
        audit.record(  # the note's text is read again, into the request form
            session,
            at=job.services.clock.now(),
            team_id=payload["team_id"],
            actor=payload["user_id"],
            action="note.to_request",
            production_id=note.production_id,
            subject=f"note:{note.id}",
            detail={audit.PERFORMER: note.performer_id},
        )


acknowledge_clicked = submitting(acknowledge_job)
remind_clicked = submitting(remind_job)
edit_clicked = submitting(edit_job, urgent=True)
withdraw_clicked = submitting(withdraw_job)
note_clicked = submitting(open_note, urgent=True)
view_note_clicked = submitting(view_note, urgent=True)
turn_into_request_clicked = submitting(note_to_request, urgent=True)
