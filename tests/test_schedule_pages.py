"""A page of the shooting schedule list (`storage.scenes.upcoming_counted`): upcoming scenes in
time order, each with its listed cast counted by the database, and how many there are in all;
removed and past scenes left out; a page past the end is empty and still says how many.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.db import session_scope
from storage.models import Scene
from storage.scenes import upcoming, upcoming_counted
from tests.conftest import NOW
from tests.support.world import build

SCENES = {
    "1": (timedelta(days=-1), ("1",)),  # past
    "2": (timedelta(hours=2), ("1", "2")),
    "3": (timedelta(days=1), ()),
    "4": (timedelta(days=2), ("2",)),
    "5": (timedelta(days=3), ("1", "2")),  # removed below
    "6": (timedelta(days=4), ("1",)),
}


def test_a_page_counts_its_scenes_cast_and_all_upcoming(
    session_factory: sessionmaker[Session],
) -> None:
    world = build(session_factory, now=NOW, scenes=SCENES)
    with session_scope(session_factory) as session:
        removed = session.scalars(select(Scene).where(Scene.number == "5")).one()
        removed.removed = True
    with session_scope(session_factory) as session:
        first, total = upcoming_counted(
            session, production_id=world.production_id, since=NOW, offset=0, limit=3
        )
        assert [(s.number, n) for s, n in first] == [("2", 2), ("3", 0), ("4", 1)]
        assert total == 4
        second, total = upcoming_counted(
            session, production_id=world.production_id, since=NOW, offset=3, limit=3
        )
        assert [(s.number, n) for s, n in second] == [("6", 1)] and total == 4
        past_the_end, total = upcoming_counted(
            session, production_id=world.production_id, since=NOW, offset=9, limit=3
        )
        assert past_the_end == [] and total == 4
        # The same scenes and count as the loading query, with the cast it loads.
        loaded, loaded_total = upcoming(
            session, production_id=world.production_id, since=NOW, offset=0, limit=10
        )
        counted, _ = upcoming_counted(
            session, production_id=world.production_id, since=NOW, offset=0, limit=10
        )
        assert loaded_total == 4
        assert [(s.number, len(s.cast)) for s in loaded] == [(s.number, n) for s, n in counted]
