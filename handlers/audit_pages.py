"""A page of the audit log modal, for `/closedset audit` and the modal's own filters and Newer
/ Older: who may see it, the query, and the read itself recorded as an event."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import MANAGERS, Refusal, require
from bot.meta import pack, unpack
from handlers.blocks.audit import PAGE, SCENE_OPTIONS, Line, SceneChoice, audit_modal
from storage import audit
from storage.models import Production, Scene
from storage.scoped import owned

DOING = "read the audit log"


@dataclass(frozen=True)
class Page:
    """What the modal shows, kept in its `private_metadata` (ids only): the production, the
    newest event when it was opened (later ones do not shift the pages), the offset, and the
    filters (scene id, Slack user id; 0 and "" for none)."""

    production_id: int
    up_to: int = 0
    offset: int = 0
    scene_id: int = 0
    person: str = ""

    def packed(self) -> str:
        return pack(
            "audit",
            p=self.production_id,
            t=self.up_to,
            o=self.offset,
            s=self.scene_id,
            u=self.person,
        )

    @classmethod
    def unpacked(cls, text: str) -> Page:
        ids = unpack(text, "audit")
        return cls(
            production_id=int(ids["p"]),
            up_to=int(ids.get("t", 0)),
            offset=max(0, int(ids.get("o", 0))),
            scene_id=int(ids.get("s", 0)),
            person=str(ids.get("u", "")),
        )

    def filtered(self, *, scene_id: int | None = None, person: str | None = None) -> Page:
        return replace(
            self,
            offset=0,
            scene_id=self.scene_id if scene_id is None else scene_id,
            person=self.person if person is None else person,
        )


def allowed(session: Session, *, production_id: int, team_id: str, user_id: str) -> Production:
    """The production, if the caller is one of its admins or coordinators (in its workspace)."""
    production = owned(session, Production, production_id, team_id=team_id)
    if production is None:
        raise Refusal("This production no longer exists.")
    require(
        session,
        production=production,
        team_id=team_id,
        user_id=user_id,
        roles=MANAGERS,
        doing=DOING,
    )
    return production


def page_view(
    session: Session, *, production: Production, page: Page, actor: str, now: datetime
) -> dict[str, object]:
    """Record the read, then render `page` (with `up_to` 0: from the newest event on)."""
    scene = owned(session, Scene, page.scene_id, team_id=production.workspace.team_id)
    if scene is not None and scene.production_id != production.id:
        scene = None
    page = replace(page, scene_id=scene.id if scene is not None else 0)
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=actor,
        action="audit.read",
        production_id=production.id,
        detail={
            "offset": page.offset,
            "scene_filter": page.scene_id,
            "person_filter": page.person,
        },
    )
    session.flush()
    if not page.up_to:
        page = replace(page, up_to=audit.newest_id(session, production_id=production.id))
    found = audit.events(
        session,
        production_id=production.id,
        up_to=page.up_to,
        subjects=audit.scene_subjects(session, scene=scene) if scene is not None else None,
        person=page.person or None,
        offset=page.offset,
        limit=PAGE + 1,
    )
    numbers = audit.scene_numbers(session, found[:PAGE])
    lines = [
        Line(
            at=event.at,
            actor=event.actor,
            action=event.action,
            scene=numbers.get(event.id),
            person=_person(event.detail),
        )
        for event in found[:PAGE]
    ]
    return audit_modal(
        production=production.name,
        zone=production.time_zone,
        lines=lines,
        scenes=_scene_choices(session, production.id, now, keep=page.scene_id),
        scene_id=page.scene_id,
        person=page.person,
        offset=page.offset,
        more=len(found) > PAGE,
        metadata=page.packed(),
    )


def _person(detail: dict[str, object] | None) -> str | None:
    value = (detail or {}).get(audit.PERFORMER)
    return value if isinstance(value, str) else None


def _scene_choices(
    session: Session, production_id: int, now: datetime, *, keep: int
) -> list[SceneChoice]:
    """The scenes offered in the filter: the 99 nearest to now (the one chosen among them), in
    schedule order."""
    rows = [
        SceneChoice(id, number, start_at)
        for id, number, start_at in session.execute(
            select(Scene.id, Scene.number, Scene.start_at).where(
                Scene.production_id == production_id
            )
        )
    ]
    rows.sort(key=lambda s: (s.id != keep, abs((s.start_at - now).total_seconds())))
    return sorted(rows[:SCENE_OPTIONS], key=lambda s: (s.start_at, s.number))
