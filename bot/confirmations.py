"""A performer's answers about a scene, and what the coordinator sees of them. No Slack here.

An answer is recorded once: answering the same thing again (a double click, a retried
submission, a second tap on an old button) records nothing and says so kindly. Every recorded
answer plans an ANSWER message to each coordinator ("Boundary update — scene 42", the same for
every kind of answer: who and what are only in the modal behind its View button) and re-plans
the scene, which cancels the performer's nudge.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Refusal
from bot.roles import NOT_VOUCHED
from storage import audit, boundaries, deliveries
from storage.boundaries import Boundaries, choice_label
from storage.db import lock_row
from storage.models import (
    AnswerKind,
    BoundaryAnswer,
    CastEntry,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Scene,
)
from storage.scoped import owned
from storage.vouches import is_held


@dataclass(frozen=True)
class Outcome:
    answer: BoundaryAnswer | None
    """The new answer; None when nothing needed recording."""
    text: str
    """What to tell the performer."""


def live_scene(
    session: Session,
    *,
    scene_id: int,
    revision: int | None,
    team_id: str,
    performer: str,
    to_answer: bool = False,
) -> Scene:
    """The scene a performer's button or modal is about, if they (`performer` of workspace
    `team_id`, the verified request's) may still answer for it.

    `to_answer` first takes the scene's row lock for the rest of the transaction, so that two
    answers for one scene (a double click, a retried submission) run one after the other and
    the second sees the first: it is then recorded as nothing new.
    """
    if to_answer:
        lock_row(session, Scene.revision, scene_id)
    scene = owned(session, Scene, scene_id, team_id=team_id, fresh=True)
    if scene is None or performer not in deliveries.performers_of(scene):
        raise Refusal("This boundary check is not addressed to you.")
    if is_held(session, production_id=scene.production_id):
        raise Refusal(NOT_VOUCHED)
    if scene.removed:
        raise Refusal(
            f"Scene {scene.number} is no longer on the schedule, so nothing is needed from you "
            "for it."
        )
    if not scene.intimacy:
        raise Refusal(f"Scene {scene.number} no longer needs a boundary check.")
    if revision is not None and revision != scene.revision:
        raise Refusal(
            f"Scene {scene.number} has changed since this message. Please answer the newest "
            "message about it, or type `/closedset boundaries`."
        )
    return scene


def answer(
    session: Session,
    *,
    scene: Scene,
    performer: str,
    kind: AnswerKind,
    now: datetime,
    team_id: str,
    stated: Boundaries | None = None,
) -> Outcome:
    current = boundaries.current(session, scene, performer)
    same = current is not None and current.kind is kind
    number = scene.number
    if kind is AnswerKind.CONFIRMED and same:
        return Outcome(None, f"You have already confirmed scene {number}. Thank you.")
    if kind is AnswerKind.TALK and same:
        return Outcome(
            None,
            f"Your coordinator already knows you would like to talk about scene {number}; they "
            "will be in touch.",
        )
    if kind is AnswerKind.WITHDRAWN and (current is None or same):
        return Outcome(
            None,
            f"There is nothing to withdraw for scene {number}"
            + (": you already withdrew." if same else ": you have not answered yet."),
        )
    if kind is AnswerKind.CHANGES:
        if stated is None:
            raise ValueError("CHANGES needs the stated boundaries")
        last = boundaries.boundaries_before(session, scene_id=scene.id, performer=performer)
        if same and last is not None and last[1] == stated:
            return Outcome(None, f"These are already your boundaries for scene {number}.")
    recorded = boundaries.record(
        session,
        scene=scene,
        performer=performer,
        kind=kind,
        now=now,
        boundaries=stated if kind is AnswerKind.CHANGES else None,
    )
    deliveries.tell_coordinators(
        session,
        key=f"answer:{recorded.id}",
        production_id=scene.production_id,
        kind=DeliveryKind.ANSWER,
        now=now,
        scene_id=scene.id,
        revision=scene.revision,
        detail={"answer": recorded.id},
    )
    # What ADs see (the coordinator's sign-off) changes only when a coordinator acts: were it
    # to go back to "pending" by itself, ADs would learn that a performer withdrew or asked for
    # changes — in a one-performer scene, which one. The coordinator is told privately (the
    # notice above) and takes the sign-off back in the scene's status if it no longer holds.
    deliveries.sync_scene(session, scene, now=now)
    audit.record(
        session,
        at=now,
        team_id=team_id,
        actor=performer,
        action="boundaries.answered",  # never which answer: the audit trail is not content
        production_id=scene.production_id,
        subject=f"scene:{scene.number}",
        detail={"answer": recorded.id, "revision": scene.revision},
    )
    return Outcome(recorded, THANKS[kind].format(number=number))


THANKS = {
    AnswerKind.CONFIRMED: "Thank you — your confirmation for scene {number} is with your "
    "coordinator. You can change or withdraw it at any time.",
    AnswerKind.CHANGES: "Thank you — your coordinator has your boundaries for scene {number} "
    "and will be in touch.",
    AnswerKind.TALK: "Your coordinator has been told, privately, that you would like to talk "
    "about scene {number}. They will be in touch.",
    AnswerKind.WITHDRAWN: "Your confirmation for scene {number} is withdrawn, and your "
    "coordinator has been told privately. Nothing goes ahead without your agreement.",
}


# ------------------------------------------------------------------ what coordinators see


class State(enum.StrEnum):
    CONFIRMED = "Confirmed"
    CHANGES = "Asked for changes"
    TALK = "Wants to talk"
    WITHDRAWN = "Withdrew"
    WAITING = "Asked, no answer yet"
    NOT_ASKED = "Not asked yet"
    UNDELIVERABLE = "Could not be reached"
    NOT_CAST = "No longer cast in this scene"


STATE_OF = {
    # The state a performer is in after an answer of each kind.
    AnswerKind.CONFIRMED: State.CONFIRMED,
    AnswerKind.CHANGES: State.CHANGES,
    AnswerKind.TALK: State.TALK,
    AnswerKind.WITHDRAWN: State.WITHDRAWN,
}


@dataclass(frozen=True)
class PerformerState:
    user_id: str
    name: str
    character: str
    state: State
    at: datetime | None
    """When they answered, were asked, or will be asked."""


def scene_states(session: Session, scene: Scene) -> list[PerformerState]:
    answers = boundaries.answers_for(session, scene)
    prompts = {
        row.recipient: row
        for row in session.scalars(
            select(Delivery).where(
                Delivery.scene_id == scene.id,
                Delivery.revision == scene.revision,
                Delivery.kind == DeliveryKind.PROMPT,
            )
        )
    }
    states: list[PerformerState] = []
    for entry in _cast(session, scene):
        user_id = entry.slack_user_id or ""  # `_cast` keeps only people on Slack
        found = answers.get(user_id)
        prompt = prompts.get(user_id)
        at: datetime | None
        if found is not None:
            state, at = STATE_OF[found.kind], found.at
        elif prompt is not None and prompt.status is DeliveryStatus.SENT:
            state, at = State.WAITING, prompt.sent_at
        elif prompt is not None and prompt.status is DeliveryStatus.FAILED:
            state, at = State.UNDELIVERABLE, None
        else:
            state, at = State.NOT_ASKED, prompt.due_at if prompt is not None else None
        states.append(PerformerState(user_id, entry.performer_name, entry.character, state, at))
    return states


def _cast(session: Session, scene: Scene) -> list[CastEntry]:
    seen: set[str] = set()
    entries = []
    for entry in scene.cast:
        if entry.slack_user_id is not None and entry.slack_user_id not in seen:
            seen.add(entry.slack_user_id)
            entries.append(entry)
    return entries


@dataclass(frozen=True)
class Offline:
    """Someone in the scene who cannot be asked in Slack: on the cast list without a Slack
    account, or a cast number the cast list lacks. The coordinator confirms with them in
    person, and says so (`confirmed`: at the scene's current revision)."""

    cast_number: str
    name: str
    """The performer's name from the cast list ("" when they are not on it)."""
    character: str
    listed: bool
    confirmed: bool

    @property
    def why(self) -> str:
        return "is not on Slack" if self.listed else "is not on the cast list"


def offline_states(scene: Scene) -> list[Offline]:
    """Who in the scene cannot be asked in Slack, in cast-list order, then by number."""
    confirmed = {n for n, revision in (scene.in_person or {}).items() if revision == scene.revision}
    found = [
        Offline(e.cast_number, e.performer_name, e.character, True, e.cast_number in confirmed)
        for e in scene.cast
        if e.slack_user_id is None
    ]
    found += [Offline(n, "", "", False, n in confirmed) for n in scene.unlisted_cast or () if n]
    return found


def all_confirmed(session: Session, scene: Scene) -> bool:
    """Every performer confirmed, and everyone who cannot be asked in Slack was confirmed with
    in person."""
    return all(s.state is State.CONFIRMED for s in scene_states(session, scene)) and all(
        o.confirmed for o in offline_states(scene)
    )


def changes_between(before: Boundaries | None, after: Boundaries) -> list[str]:
    """'Kissing: OK → Not OK' lines, for the coordinator's modal."""
    lines: list[str] = []
    old = before.items if before is not None else {}
    for item_id, (label, choice) in after.items.items():
        was = old.get(item_id)
        if was is None:
            lines.append(f"{label}: {choice_label(choice)}")
        elif was[1] != choice:
            lines.append(f"{label}: {choice_label(was[1])} → {choice_label(choice)}")
    for item_id, (label, choice) in old.items():
        if item_id not in after.items:
            lines.append(f"{label}: no longer asked (was {choice_label(choice)})")
    if before is not None and before.note != after.note:
        lines.append("Their note changed.")
    return lines
