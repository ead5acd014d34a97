"""A performer's buttons: Review and confirm, I'd like changes, Talk to the coordinator
privately, Withdraw. Each is acknowledged at once and done as a job; a button of an old message
(the scene changed or is off) is answered kindly and records nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.access import Refusal
from bot.confirmations import answer, live_scene
from bot.meta import pack, unpack
from bot.worker import JobContext
from handlers.answered import after_answer
from handlers.blocks.boundaries import changes_modal, review_modal
from handlers.defer import submitting
from storage import audit, boundaries
from storage.db import session_scope
from storage.models import AnswerKind, Scene
from storage.secrets import unseal


def _scene(session: Session, payload: dict[str, str], *, to_answer: bool = False) -> Scene:
    try:
        ids = unpack(payload["value"], "prompt")
        scene_id, revision = int(ids["s"]), int(ids["r"])
    except (KeyError, ValueError):
        raise Refusal(
            "This button no longer works. Type `/closedset boundaries` to see your scenes."
        ) from None
    return live_scene(
        session,
        scene_id=scene_id,
        revision=revision,
        team_id=payload["team_id"],
        performer=payload["user_id"],
        to_answer=to_answer,
    )


def open_review(job: JobContext, payload: dict[str, str]) -> None:
    """The job: the scene's planned content and the performer's boundaries, with Confirm."""
    with session_scope(job.services.session_factory) as session:
        scene = _scene(session, payload)
        stated = boundaries.boundaries_before(
            session, scene_id=scene.id, performer=payload["user_id"]
        )
        view = review_modal(
            scene,
            planned=unseal(session, scene.planned_content_ct),
            stated=stated[1] if stated else None,
            metadata=pack("confirm", s=scene.id, r=scene.revision),
        )
        _audit_read(session, job, payload, scene)
    job.client.views_open(trigger_id=payload["trigger_id"], view=view)


def open_changes(job: JobContext, payload: dict[str, str]) -> None:
    """The job: the checklist, pre-filled with the performer's latest answers."""
    with session_scope(job.services.session_factory) as session:
        scene = _scene(session, payload)
        stated = boundaries.boundaries_before(
            session, scene_id=scene.id, performer=payload["user_id"]
        )
        view = changes_modal(
            scene,
            items=boundaries.checklist(session, scene.production_id),
            stated=stated[1] if stated else None,
            metadata=pack("changes", s=scene.id, r=scene.revision),
        )
        _audit_read(session, job, payload, scene)
    job.client.views_open(trigger_id=payload["trigger_id"], view=view)


def _audit_read(session: Session, job: JobContext, payload: dict[str, str], scene: Scene) -> None:
    audit.record(
        session,
        at=job.services.clock.now(),
        team_id=payload["team_id"],
        actor=payload["user_id"],
        action="boundaries.read_own",
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
    )


def talk(job: JobContext, payload: dict[str, str]) -> None:
    _answer_from_button(job, payload, AnswerKind.TALK)


def withdraw(job: JobContext, payload: dict[str, str]) -> None:
    _answer_from_button(job, payload, AnswerKind.WITHDRAWN)


def _answer_from_button(job: JobContext, payload: dict[str, str], kind: AnswerKind) -> None:
    with session_scope(job.services.session_factory) as session:
        scene = _scene(session, payload, to_answer=True)
        outcome = answer(
            session,
            scene=scene,
            performer=payload["user_id"],
            kind=kind,
            now=job.services.clock.now(),
            team_id=payload["team_id"],
        )
        scene_id = scene.id
    job.respond()(text=outcome.text, response_type="ephemeral", replace_original=False)
    if outcome.answer is not None:
        after_answer(job, {"scene": scene_id, "performer": payload["user_id"]})


review = submitting(open_review, urgent=True)
changes = submitting(open_changes, urgent=True)
talk_clicked = submitting(talk)
withdraw_clicked = submitting(withdraw)
