"""Posting a coordinator request: checked on submit, in up to two steps.

1. Names of performers or characters: refused, the error under the text (cannot be
   overridden). Otherwise, if the wording may single someone out (pronouns, "the actress"),
   the scene has one or two performers, or a performer answered about the scene within the
   quiet time, the modal is shown again with those concerns and a choice for each.
2. Submitted again with the same text and scene: the choices are taken (a warning must be
   acknowledged; a small cast may drop the scene; a hold-back sets the post time). A changed
   text or scene is checked afresh.

Then the request is stored and its posts handed to the delivery engine (at once, or at the
chosen time), and the modal says so. Slack is answered only after the commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.deps import Deps
from bot.ids import EditRequestView, RequestView
from bot.meta import pack, unpack, unpack_int
from bot.requests import assess, create, hold_until
from bot.requests import edit as edit_request
from bot.worker import JobContext
from handlers import view_state
from handlers.blocks.boundaries import notice_modal
from handlers.blocks.requests import (
    Concerns,
    RequestForm,
    confirm_blocks,
    edit_modal,
    request_modal,
)
from handlers.defer import after, team_of
from handlers.home_tab import refresh_coordinators
from handlers.modals.request import request_scenes
from handlers.request_posts import refresh_posts
from storage.db import session_scope
from storage.models import CoordinatorRequest, Production, RequestStatus, Role, Scene

MAX_ERROR = 1900


@dataclass(frozen=True)
class Answer:
    """How to answer Slack: `response_action` and its payload."""

    payload: dict[str, Any]
    posted: bool = False
    production_id: int | None = None


def read_form(view: dict[str, Any]) -> RequestForm:
    scene = view_state.selected(view, RequestView.SCENE)
    return RequestForm(
        channels=view_state.conversations(view, RequestView.CHANNELS),
        scene_id=int(scene) if scene and scene.isdigit() else None,
        text=view_state.text(view, RequestView.TEXT).strip(),
        post_at=view_state.date_time(view, RequestView.POST_AT),
        allow_ping=view_state.checked(view, RequestView.PING),
    )


def _digest(form: RequestForm) -> str:
    return hashlib.sha256(f"{form.scene_id}\x00{form.text}".encode()).hexdigest()[:16]


def _errors(block: str, text: str) -> Answer:
    return Answer({"response_action": "errors", "errors": {block: text[:MAX_ERROR]}})


def decide(session: Session, *, view: dict[str, Any], user_id: str, now: datetime) -> Answer:
    form = read_form(view)
    ids = unpack(view.get("private_metadata", ""), "request")
    production = session.get(Production, int(ids["p"]))
    if production is None:
        return _errors(RequestView.TEXT, "This production no longer exists.")
    try:
        require(
            session,
            production=production,
            user_id=user_id,
            roles=(Role.COORDINATOR,),
            doing="post requests",
        )
    except Refusal as refusal:
        return _errors(RequestView.TEXT, str(refusal))
    if not form.channels:
        return _errors(RequestView.CHANNELS, "Pick at least one channel.")
    post_at = datetime.fromtimestamp(form.post_at, UTC) if form.post_at else now
    if form.post_at and post_at < now.replace(second=0, microsecond=0):
        return _errors(RequestView.POST_AT, "Pick a time in the future, or leave it empty.")
    scene = session.get(Scene, form.scene_id) if form.scene_id else None
    if scene is not None and (scene.production_id != production.id or scene.removed):
        return _errors(RequestView.SCENE, "This scene is no longer on the schedule.")
    found = assess(session, production=production, scene=scene, text=form.text, now=now)
    if found.check.refusals:
        messages = list(dict.fromkeys(f.message for f in found.check.refusals))
        return _errors(RequestView.TEXT, " ".join(messages))
    held = hold_until(production, now) if found.recent is not None else None
    digest = _digest(form)
    needs = bool(found.check.warnings) or found.small_cast or held is not None
    if needs and ids.get("h") != digest:
        concerns = Concerns(
            warnings=list(found.check.warnings),
            small_cast=found.cast_size if found.small_cast else None,
            recent=found.recent,
            hold_until=held,
            zone=production.time_zone,
        )
        metadata = pack(
            "request", p=production.id, h=digest, u=int(held.timestamp()) if held else 0
        )
        view = request_modal(
            form=form,
            scenes=request_scenes(session, production, now),
            metadata=metadata,
            concerns=concerns,
        )
        return Answer({"response_action": "update", "view": view})
    if found.check.warnings and not view_state.checked(view, RequestView.CONFIRM):
        return _errors(
            RequestView.CONFIRM,
            "Tick this to post despite the warnings above, or reword the request.",
        )
    if found.small_cast and view_state.selected(view, RequestView.STANDING) != "scene":
        if found.check.scenes:  # a typed scene number still says which scene
            named = ", ".join(found.check.scenes)
            return _errors(
                RequestView.TEXT,
                f"The text names scene {named}: take the scene number out to post this as a "
                "standing requirement.",
            )
        scene = None
    if view_state.selected(view, RequestView.HOLD) == "hold" and int(ids.get("u") or 0):
        post_at = max(post_at, datetime.fromtimestamp(int(ids["u"]), UTC))
    request = create(
        session,
        production=production,
        scene=scene,
        text=form.text,
        channels=form.channels,
        post_at=post_at,
        allow_ping=form.allow_ping,
        actor=user_id,
        now=now,
    )
    if request.post_at > now:
        local = request.post_at.astimezone(ZoneInfo(production.time_zone))
        done = f"Your request will be posted at {local:%H:%M on %a %d %b}."
    else:
        done = "Your request is being posted. `/closedset requests` shows who acknowledged it."
    return Answer(
        {"response_action": "update", "view": notice_modal("Request", done)}, True, production.id
    )


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    with session_scope(deps.session_factory) as session:
        answer = decide(session, view=view, user_id=body["user"]["id"], now=deps.clock.now())
    ack(**answer.payload)
    if answer.posted:
        deps.worker.wake()
        team_id = team_of(body)
        payload = {"production_id": answer.production_id, "team_id": team_id}
        after(deps, refresh_coordinators, payload)


def edit(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """New text for a posted request: checked like a new one; the channels' messages are
    updated by a job once it is saved."""
    user_id = body["user"]["id"]
    text = view_state.text(view, EditRequestView.TEXT).strip()
    with session_scope(deps.session_factory) as session:
        request = session.get(
            CoordinatorRequest, unpack_int(view.get("private_metadata", ""), "request", "r")
        )
        answer = _edit(
            session, request, view=view, text=text, user_id=user_id, now=deps.clock.now()
        )
    ack(**answer.payload)
    if answer.posted and request is not None:
        after(deps, refresh_request, {"request": request.id})


def _edit(
    session: Session,
    request: CoordinatorRequest | None,
    *,
    view: dict[str, Any],
    text: str,
    user_id: str,
    now: datetime,
) -> Answer:
    if request is None or request.status is not RequestStatus.ACTIVE:
        return _errors(EditRequestView.TEXT, "This request was withdrawn.")
    try:
        require(
            session,
            production=request.production,
            user_id=user_id,
            roles=(Role.COORDINATOR,),
            doing="edit requests",
        )
    except Refusal as refusal:
        return _errors(EditRequestView.TEXT, str(refusal))
    found = assess(session, production=request.production, scene=request.scene, text=text, now=now)
    if found.check.refusals:
        messages = list(dict.fromkeys(f.message for f in found.check.refusals))
        return _errors(EditRequestView.TEXT, " ".join(messages))
    if found.check.warnings and not view_state.checked(view, RequestView.CONFIRM):
        updated = edit_modal(request, metadata=view.get("private_metadata", ""))
        updated["blocks"][0]["element"]["initial_value"] = text
        updated["blocks"] += confirm_blocks(found.check.warnings)
        return Answer({"response_action": "update", "view": updated})
    edit_request(session, request, text=text, actor=user_id, now=now)
    return Answer(
        {
            "response_action": "update",
            "view": notice_modal("Request", "Saved; its messages are being updated."),
        },
        True,
    )


def refresh_request(job: JobContext, payload: dict[str, int]) -> None:
    refresh_posts(job.client, job.services.session_factory, payload["request"])
