"""The boundary checklist of a production, and performers' answers (encrypted, append-only).

An answer's kind is sealed like its boundaries (`BoundaryAnswer.kind_ct`): nothing here
filters or groups answers by kind in SQL; callers read `answer.kind`, which opens it."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.text import fold
from storage.db import lock_row
from storage.models import AnswerKind, BoundaryAnswer, ChecklistItem, Production, Scene
from storage.productions import team_of
from storage.secrets import seal, unseal

DEFAULT_CHECKLIST = (
    "Kissing",
    "Touch above the waist",
    "Touch below the waist",
    "Nudity as planned",
    "Modesty garments",
    "Positions as planned",
)
MAX_ITEMS = 30  # a modal holds 100 blocks; each item is one, with room for the rest
MAX_LABEL = 75  # a radio group's label is at most 2000 characters; short reads better


class Choice(enum.StrEnum):
    OK = "ok"
    NOT_OK = "not_ok"
    TALK = "talk"

    @property
    def label(self) -> str:
        return {"ok": "OK", "not_ok": "Not OK", "talk": "Let's talk"}[self.value]


def choice_label(value: str) -> str:
    try:
        return Choice(value).label
    except ValueError:
        return value


@dataclass(frozen=True)
class Boundaries:
    """One version of a performer's boundaries for a scene: item id → (label, choice), and
    free text."""

    items: dict[int, tuple[str, str]] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {"items": {str(k): list(v) for k, v in self.items.items()}, "note": self.note},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Boundaries:
        data: dict[str, Any] = json.loads(text)
        items = {int(k): (str(v[0]), str(v[1])) for k, v in data.get("items", {}).items()}
        return cls(items=items, note=str(data.get("note", "")))


def checklist(session: Session, production_id: int) -> list[ChecklistItem]:
    """The active items in order; a production that has none gets the defaults."""
    items = list(
        session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.production_id == production_id)
            .order_by(ChecklistItem.position, ChecklistItem.id)
        )
    )
    if not items:
        set_checklist(session, production_id, DEFAULT_CHECKLIST, only_if_empty=True)
        return checklist(session, production_id)
    return [item for item in items if item.active]


def set_checklist(
    session: Session, production_id: int, labels: Sequence[str], *, only_if_empty: bool = False
) -> None:
    """Make the active items exactly `labels`, in order. An item kept under the same name
    (case and accents aside) keeps its id, so earlier answers still line up with it.

    The production's row lock comes first, so two writers (a coordinator saving the list while
    another request seeds the defaults) run one after the other and the second sees the first;
    `only_if_empty` then leaves a list someone else just wrote alone."""
    lock_row(session, Production.name, production_id)
    existing = list(
        session.scalars(select(ChecklistItem).where(ChecklistItem.production_id == production_id))
    )
    if existing and only_if_empty:
        return
    by_name = {fold(item.label): item for item in existing}
    kept: set[int] = set()
    for position, label in enumerate(labels):
        item = by_name.get(fold(label))
        if item is None:
            item = ChecklistItem(
                production_id=production_id, team_id=team_of(session, production_id), label=label
            )
            session.add(item)
        item.label = label
        item.position = position
        item.active = True
        session.flush()
        kept.add(item.id)
    for item in existing:
        if item.id not in kept:
            item.active = False
    session.flush()


def record(
    session: Session,
    *,
    scene: Scene,
    performer: str,
    kind: AnswerKind,
    now: datetime,
    boundaries: Boundaries | None = None,
) -> BoundaryAnswer:
    answer = BoundaryAnswer(
        production_id=scene.production_id,
        team_id=scene.team_id,
        scene_id=scene.id,
        performer_id=performer,
        revision=scene.revision,
        kind_ct=seal(session, kind.value),
        boundaries_ct=seal_boundaries(session, boundaries),
        at=now,
    )
    session.add(answer)
    session.flush()
    return answer


def current(session: Session, scene: Scene, performer: str) -> BoundaryAnswer | None:
    """The performer's latest answer at the scene's current revision."""
    return session.scalar(
        select(BoundaryAnswer)
        .where(
            BoundaryAnswer.scene_id == scene.id,
            BoundaryAnswer.performer_id == performer,
            BoundaryAnswer.revision == scene.revision,
        )
        .order_by(BoundaryAnswer.id.desc())
        .limit(1)
    )


def boundaries_before(
    session: Session, *, scene_id: int, performer: str, before_id: int | None = None
) -> tuple[BoundaryAnswer, Boundaries] | None:
    """The performer's latest stated boundaries for the scene (any revision), or the latest
    before answer `before_id`. (Opened one by one, newest first: which answers state
    boundaries is sealed too.)"""
    query = select(BoundaryAnswer).where(
        BoundaryAnswer.scene_id == scene_id, BoundaryAnswer.performer_id == performer
    )
    if before_id is not None:
        query = query.where(BoundaryAnswer.id < before_id)
    for answer in session.scalars(query.order_by(BoundaryAnswer.id.desc())):
        found = stated(session, answer)
        if found is not None:
            return answer, found
    return None


PAD = 2048
"""Sealed boundaries are padded to a multiple of this many bytes, and an answer that states
none (confirmed, talk, withdrawn) seals a padded `null`: whether an answer holds boundaries
(that is, asked for changes) shows neither by a NULL nor by the length, up to boundaries of
2 KiB of JSON (the default checklist with a note of well over 1,000 characters); longer ones
say only that they are long."""


def seal_boundaries(session: Session, boundaries: Boundaries | None) -> bytes:
    text = "null" if boundaries is None else boundaries.to_json()
    size = len(text.encode("utf-8"))
    return seal(session, text + " " * (-size % PAD)) or b""


def stated(session: Session, answer: BoundaryAnswer) -> Boundaries | None:
    """The boundaries the answer states, or None (it states none)."""
    text = unseal(session, answer.boundaries_ct)
    data = json.loads(text) if text else None
    return None if data is None else Boundaries.from_json(text or "")


def open_boundaries(session: Session, answer: BoundaryAnswer) -> Boundaries:
    """The boundaries the answer states (empty when it states none)."""
    return stated(session, answer) or Boundaries()


def answers_for(session: Session, scene: Scene) -> dict[str, BoundaryAnswer]:
    """Each performer's latest answer at the scene's current revision."""
    rows = session.scalars(
        select(BoundaryAnswer)
        .where(BoundaryAnswer.scene_id == scene.id, BoundaryAnswer.revision == scene.revision)
        .order_by(BoundaryAnswer.id)
    )
    return {row.performer_id: row for row in rows}
