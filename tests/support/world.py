"""A production with people and intimate scenes, written straight to the database, for tests
of what happens after setup (the setup and imports themselves are tested through Slack)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.cast.resolve import RosterEntry
from bot.setup import ProductionSetup
from storage import deliveries
from storage.db import session_scope
from storage.models import CastEntry, Production, Scene
from storage.productions import save_setup
from storage.roster import apply_roster
from storage.secrets import seal
from tests.support.slack_standin import TEAM_ID

TEAM = TEAM_ID
COORDINATOR = "U0COORD001"
AD = "U0ADAD0001"
CAST = (
    RosterEntry("1", "Lena", "Jane Doe", "U0PERF0001", "jane", "jane@example.com"),
    RosterEntry("2", "Max", "Bob Smith", "U0PERF0002", "bob", "bob@example.com"),
    RosterEntry("3", "Ines", "Ana Núñez", "U0PERF0003", "ana", "ana@example.com"),
)
PLANNED = "Kiss and embrace; robe between takes"


@dataclass(frozen=True)
class World:
    production_id: int
    scene_ids: dict[str, int]


def build(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    scenes: dict[str, tuple[timedelta, tuple[str, ...]]] | None = None,
    name: str = "Night Shift",
    team_id: str = TEAM,
    coordinators: tuple[str, ...] = (COORDINATOR,),
    ads: tuple[str, ...] = (AD,),
    ad_channel: str = "C0ADS00001",
    cast: tuple[RosterEntry, ...] = CAST,
    planned: str = PLANNED,
    zone: str = "Europe/London",
    lead: timedelta = timedelta(hours=48),
    nudge: timedelta = timedelta(hours=24),
    escalation: timedelta = timedelta(hours=12),
    plan: bool = True,
) -> World:
    """`scenes`: number → (start, counted from `now`; cast numbers). Default: scene 42A in five
    days with cast 1 and 2. `ads`, `ad_channel`, `cast` and `planned` (each scene's planned
    content) default to the single workspace's."""
    if scenes is None:
        scenes = {"42A": (timedelta(days=5), ("1", "2"))}
    with session_scope(session_factory) as session:
        production = save_setup(
            session,
            team_id=team_id,
            production=None,
            setup=ProductionSetup(
                name=name,
                zone=zone,
                coordinators=coordinators,
                ads=ads,
                admins=(),
                ad_channel=ad_channel,
                lead=lead,
                nudge=nudge,
                escalation=escalation,
                default_call=time(7, 0),
                intimacy_category=None,
            ),
            now=now,
        )
        apply_roster(session, production_id=production.id, entries=cast)
        ids = {
            number: add_scene(
                session, production, number, now + offset, numbers, now=now, content=planned
            ).id
            for number, (offset, numbers) in scenes.items()
        }
        if plan:
            deliveries.sync_production(session, production, now=now)
        return World(production.id, ids)


def add_scene(
    session: Session,
    production: Production,
    number: str,
    start: datetime,
    cast: tuple[str, ...],
    *,
    now: datetime,
    content: str = PLANNED,
) -> Scene:
    entries = {
        e.cast_number: e for e in session.query(CastEntry).filter_by(production_id=production.id)
    }
    scene = Scene(
        production_id=production.id,
        team_id=production.team_id,
        number=number,
        shoot_date=start.date(),
        start_at=start,
        set_name="INT. BEDROOM",
        intimacy=True,
        planned_content_ct=seal(session, content),
        revision=1,
        created_at=now,
        updated_at=now,
    )
    scene.cast = [entries[c] for c in cast]
    session.add(scene)
    session.flush()
    return scene
