"""Posting a coordinator request. The listener checks what needs no database (a channel picked,
a time not in the past); the job checks the rest, in up to two steps, each shown in place of
"Saving…":

1. Names of performers or characters: refused, the form shown again saying so (cannot be
   overridden). Otherwise, if the wording may single someone out (pronouns, "the actress"),
   the scene has one or two performers, or a performer answered about the scene within the
   quiet time, the form is shown again with those concerns and a choice for each.
2. Submitted again with the same text and scene: the choices are taken (a warning must be
   acknowledged; a small cast may drop the scene; a hold-back sets the post time). A changed
   text or scene is checked afresh.

Then the request is stored and its posts handed to the delivery engine (at once, or at the
chosen time), and the modal says so.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.deps import Deps
from bot.ids import RequestView
from bot.meta import pack, unpack
from bot.requests import assess, create, hold_until
from bot.worker import JobContext
from handlers import view_state
from handlers.blocks.boundaries import notice_modal
from handlers.blocks.requests import Concerns, RequestForm, request_modal
from handlers.blocks.saving import with_problem
from handlers.defer import Outcome, saving, shows_outcome
from handlers.home_tab import refresh_coordinators
from handlers.modals.request import request_scenes
from storage.db import session_scope
from storage.models import Production, Role, Scene
from storage.scoped import owned

TITLE = "Request"


def read_form(view: dict[str, Any]) -> RequestForm:
    scene = view_state.selected(view, RequestView.SCENE)
    return RequestForm(
        channels=view_state.conversations(view, RequestView.CHANNELS),
        scene_id=int(scene) if scene and scene.isdigit() else None,
        text=view_state.text(view, RequestView.TEXT).strip(),
        post_at=view_state.date_time(view, RequestView.POST_AT),
        allow_ping=view_state.checked(view, RequestView.PING),
    )


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    form = read_form(view)
    if not form.channels:
        ack(response_action="errors", errors={RequestView.CHANNELS: "Pick at least one channel."})
        return
    if form.post_at and _post_at(form, deps.clock.now()) is None:
        error = "Pick a time in the future, or leave it empty."
        ack(response_action="errors", errors={RequestView.POST_AT: error})
        return
    saving(ack, deps, post_request, body, view, title=TITLE, field=RequestView.TEXT)


def _post_at(form: RequestForm, now: datetime) -> datetime | None:
    """When to post: now, or the time picked (None if that is in the past)."""
    if not form.post_at:
        return now
    post_at = datetime.fromtimestamp(form.post_at, UTC)
    return None if post_at < now.replace(second=0, microsecond=0) else post_at


def _digest(form: RequestForm) -> str:
    return hashlib.sha256(f"{form.scene_id}\x00{form.text}".encode()).hexdigest()[:16]


@shows_outcome(TITLE)
def post_request(job: JobContext, payload: dict[str, Any]) -> Outcome:
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        outcome, production_id = _decide(
            session,
            view=payload["view"],
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            now=now,
        )
    if production_id is None:
        return outcome

    def then() -> None:
        job.wake()  # posts due now
        refresh_coordinators(job, {"production_id": production_id, "team_id": payload["team_id"]})

    return Outcome(outcome.view, then)


def _decide(
    session: Session, *, view: dict[str, Any], team_id: str, user_id: str, now: datetime
) -> tuple[Outcome, int | None]:
    """What to show, and the production whose request was stored (None: not stored)."""
    form = read_form(view)
    ids = unpack(view["private_metadata"], "request")
    production = owned(session, Production, ids.get("p"), team_id=team_id)
    if production is None:
        raise Refusal("This production no longer exists.")
    require(
        session,
        production=production,
        team_id=team_id,
        user_id=user_id,
        roles=(Role.COORDINATOR,),
        doing="post requests",
    )

    def again(
        problem: str | None, concerns: Concerns | None = None, **meta: int | str
    ) -> tuple[Outcome, None]:
        """The form again, as entered, with the `concerns` and the `problem` to fix."""
        shown = request_modal(
            form=form,
            scenes=request_scenes(session, production, now),
            metadata=pack("request", **meta) if meta else view["private_metadata"],
            concerns=concerns,
        )
        return Outcome(with_problem(shown, problem) if problem else shown), None

    post_at = _post_at(form, now)
    if post_at is None:
        return again("Pick a time in the future, or leave it empty.")
    scene = owned(session, Scene, form.scene_id, team_id=team_id)
    if scene is not None and (scene.production_id != production.id or scene.removed):
        return again("This scene is no longer on the schedule: pick another, or none.")
    found = assess(session, production=production, scene=scene, text=form.text, now=now)
    if found.check.refusals:
        return again(" ".join(dict.fromkeys(f.message for f in found.check.refusals)))
    held = hold_until(production, now) if found.recent is not None else None
    concerns = Concerns(
        warnings=list(found.check.warnings),
        small_cast=found.cast_size if found.small_cast else None,
        recent=found.recent,
        hold_until=held,
        zone=production.time_zone,
    )
    digest = _digest(form)
    if (found.check.warnings or found.small_cast or held is not None) and ids.get("h") != digest:
        return again(
            None, concerns, p=production.id, h=digest, u=int(held.timestamp()) if held else 0
        )
    if found.check.warnings and not view_state.checked(view, RequestView.CONFIRM):
        return again(
            "Tick “Post anyway” under Wording to post despite the warnings, or reword it.",
            concerns,
        )
    if found.small_cast and view_state.selected(view, RequestView.STANDING) != "scene":
        if found.check.scenes:  # a typed scene number still says which scene
            named = ", ".join(found.check.scenes)
            return again(
                f"The text names scene {named}: take the scene number out to post this as a "
                "standing requirement.",
                concerns,
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
    return Outcome(notice_modal(TITLE, done)), production.id
