"""New text for a posted request: the job checks it like a new one (names refused, warnings to
acknowledge), saves it, and the channels' messages are updated."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.access import Refusal, require
from bot.deps import Deps
from bot.ids import EditRequestView, RequestView
from bot.meta import unpack_int
from bot.requests import assess
from bot.requests import edit as edit_request
from bot.worker import JobContext
from handlers import view_state
from handlers.blocks.boundaries import notice_modal
from handlers.blocks.requests import edit_modal
from handlers.blocks.saving import with_problem
from handlers.defer import Outcome, saving, shows_outcome
from handlers.request_posts import refresh_posts
from storage.db import session_scope
from storage.models import CoordinatorRequest, RequestStatus, Role
from storage.scoped import owned

TITLE = "Edit request"


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    saving(ack, deps, save_request_text, body, view, title=TITLE, field=EditRequestView.TEXT)


@shows_outcome(TITLE)
def save_request_text(job: JobContext, payload: dict[str, Any]) -> Outcome:
    view = payload["view"]
    metadata = view["private_metadata"]
    text = view_state.text(view, EditRequestView.TEXT).strip()
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        request = owned(
            session,
            CoordinatorRequest,
            unpack_int(metadata, "request", "r"),
            team_id=payload["team_id"],
        )
        if request is None or request.status is not RequestStatus.ACTIVE:
            raise Refusal("This request was withdrawn.")
        require(
            session,
            production=request.production,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            roles=(Role.COORDINATOR,),
            doing="edit requests",
        )
        found = assess(
            session, production=request.production, scene=request.scene, text=text, now=now
        )
        if found.check.refusals:
            problem = " ".join(dict.fromkeys(f.message for f in found.check.refusals))
            return Outcome(with_problem(edit_modal(request, metadata=metadata, text=text), problem))
        if found.check.warnings and not view_state.checked(view, RequestView.CONFIRM):
            warned = edit_modal(
                request, metadata=metadata, text=text, warnings=found.check.warnings
            )
            return Outcome(warned)
        edit_request(session, request, text=text, actor=payload["user_id"], now=now)
        request_id = request.id
    return Outcome(
        notice_modal(TITLE, "Saved; its messages are being updated."),
        lambda: refresh_posts(job.client, job.services.session_factory, request_id),
    )
