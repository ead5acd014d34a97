"""Every row of a workspace carries its team id (issue 16): after the main flows run in two
workspaces, each row's `team_id` is its production's workspace's; the database refuses a row
whose team id is not its parent's; and migration 0013 fills them in on an existing database,
and goes back. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import checkins, requests
from bot.checkins import Closure, Tap
from storage import boundaries
from storage.db import alembic_config, session_scope, upgrade
from storage.imports import save_pending
from storage.models import AnswerKind, Base, CastEntry, Member, Production, Role, Scene
from tests.conftest import NOW
from tests.support.world import COORDINATOR, TEAM, World, build

OTHER = "T0OTHER001"
TEAMS = (TEAM, OTHER)
P1 = "U0PERF0001"

GLOBAL = {"processed_event", "dispatcher_instance", "install_secret", "purge_run", "oauth_state"}
"""The tables of the deployment, not of a workspace: no team id."""
KEYED_BY_TEAM = {"workspace", "slack_installation", "dm_notice"}
"""Rows found by the team id itself, with no parent to take it from."""


def _parent_key(table: sa.Table) -> tuple[sa.Column[Any], sa.Table] | None:
    """The column leading to the row's parent (towards its workspace), and the parent: of
    the row's keys, the first by name, a NOT NULL one before a nullable one."""
    keys = []
    for key in table.foreign_key_constraints:
        (element,) = [e for e in key.elements if e.column.name == "id"]
        keys.append((bool(element.parent.nullable), str(key.name), element))
    if not keys:
        return None
    element = min(keys, key=lambda k: (k[0], k[1]))[2]
    return element.parent, element.column.table


def _parent_of(table: sa.Table) -> tuple[sa.Column[Any], sa.Table]:
    found = _parent_key(table)
    assert found is not None, f"{table.name} has a team id and no parent"
    return found


def _owned_tables() -> list[sa.Table]:
    """Every table whose rows take their team id from a parent."""
    return [
        t for t in Base.metadata.sorted_tables if "team_id" in t.c and t.name not in KEYED_BY_TEAM
    ]


def _rows_and_teams(connection: Connection, table: sa.Table) -> list[tuple[str, str]]:
    """(the row's team id, its workspace's, reached through its parents' ids alone), for
    every row that has a parent."""
    joined: Any = table
    here: Any = table  # the last table joined (an alias), `source` the table it is of
    source = table
    while source.name != "workspace":
        column, parent = _parent_of(source)
        alias = parent.alias()
        joined = joined.join(alias, alias.c.id == here.c[column.name])
        here, source = alias, parent
    query = select(table.c.team_id, here.c.team_id).select_from(joined)
    return [(own, theirs) for own, theirs in connection.execute(query)]


def _team_ids_are_their_workspace_s(engine: Engine) -> dict[str, set[str]]:
    """Every owned row's team id is its workspace's; returns the teams found, by table."""
    found: dict[str, set[str]] = {}
    with engine.connect() as connection:
        for table in _owned_tables():
            pairs = _rows_and_teams(connection, table)
            wrong = [(own, theirs) for own, theirs in pairs if own != theirs]
            assert not wrong, f"{table.name}: {wrong[:5]}"
            column = _parent_of(table)[0]
            with_parent = connection.scalar(
                select(sa.func.count()).select_from(table).where(column.is_not(None))
            )
            assert len(pairs) == with_parent, table.name
            found[table.name] = {own for own, _ in pairs}
    return found


def test_every_table_of_a_workspace_has_a_team_id() -> None:
    without = {t.name for t in Base.metadata.sorted_tables if "team_id" not in t.c}
    assert without == GLOBAL
    for table in _owned_tables():
        assert not table.c.team_id.nullable, table.name
        _parent_of(table)


# ------------------------------------------------------------------ the flows, in two workspaces


def _flows(factory: sessionmaker[Session], world: World, team: str) -> None:
    """What people do in a production, through the code the handlers call: the checklist, an
    answer, a request posted and acknowledged, a note, a check-in round, a wrap and a closure
    answer, and a schedule file waiting for Apply."""
    with session_scope(factory) as session:
        production = session.get(Production, world.production_id)
        scene = session.get(Scene, world.scene_ids["42A"])
        assert production is not None and scene is not None
        assert boundaries.checklist(session, production.id)  # seeds the default list
        boundaries.record(session, scene=scene, performer=P1, kind=AnswerKind.CONFIRMED, now=NOW)
        request = requests.create(
            session,
            production=production,
            scene=scene,
            text="Robes for the performers between takes",
            channels=["C0DEPT0001"],
            post_at=NOW,
            allow_ping=False,
            actor=COORDINATOR,
            now=NOW,
        )
        requests.edit(
            session, request, text="Robes and slippers between takes", actor=COORDINATOR, now=NOW
        )
        assert requests.acknowledge(session, request.posts[0], user_id="U0CREW0001", now=NOW)
        requests.add_note(
            session,
            production=production,
            scene=scene,
            performer=P1,
            text="A word about the second take",
            now=NOW,
            team_id=team,
        )
        round_ = checkins.start_round(session, scene=scene, by=COORDINATOR, now=NOW)
        checkins.record(session, round_, performer=P1, tap=Tap.PAUSE, now=NOW)
        assert checkins.wrap(session, scene, by=COORDINATOR, now=NOW)
        checkins.record_closure(session, scene, performer=P1, answer=Closure.OK, now=NOW)
        save_pending(
            session,
            production_id=production.id,
            kind="schedule",
            payload="{}",
            base_digest="0" * 64,
            requested_by=COORDINATOR,
            now=NOW,
        )


@pytest.fixture
def two_workspaces(session_factory: sessionmaker[Session]) -> dict[str, World]:
    worlds = {}
    for team in TEAMS:
        worlds[team] = build(session_factory, now=NOW, team_id=team, name=f"Show of {team}")
        _flows(session_factory, worlds[team], team)
    return worlds


def test_after_the_flows_every_row_has_its_workspace_s_team_id(
    engine: Engine, two_workspaces: dict[str, World]
) -> None:
    found = _team_ids_are_their_workspace_s(engine)
    empty = {name: teams for name, teams in found.items() if teams != set(TEAMS)}
    assert not empty, f"tables without rows of both workspaces: {empty}"


def _violates_a_key(error: IntegrityError) -> bool:
    code = getattr(error.orig, "sqlstate", None)  # psycopg
    return code == "23503" or "FOREIGN KEY constraint failed" in str(error.orig)


def test_the_database_refuses_a_team_id_that_is_not_the_parent_s(
    engine: Engine, two_workspaces: dict[str, World]
) -> None:
    checked = []
    for table in _owned_tables():
        if not any("team_id" in k.column_keys for k in table.foreign_key_constraints):
            continue  # audit_event: its key is to the production alone
        key = list(table.primary_key.columns)
        with engine.connect() as connection:
            row = connection.execute(select(*key).where(table.c.team_id == TEAM).limit(1)).one()
            moved = (
                table.update()
                .where(*(c == v for c, v in zip(key, row, strict=True)))
                .values(team_id=OTHER)
            )
            with pytest.raises(IntegrityError) as caught:
                connection.execute(moved)
            assert _violates_a_key(caught.value), (table.name, caught.value)
            connection.rollback()
        checked.append(table.name)
    assert set(checked) == {t.name for t in _owned_tables()} - {"audit_event"}

    # New rows, through the models: a member with another workspace's team id, and a scene of
    # one workspace cast with the other's performer.
    theirs, ours = two_workspaces[OTHER], two_workspaces[TEAM]
    factory = sessionmaker(engine)
    with factory() as session, pytest.raises(IntegrityError) as caught:
        session.add(
            Member(
                production_id=ours.production_id, team_id=OTHER, slack_user_id="U0X", role=Role.AD
            )
        )
        session.flush()
    assert _violates_a_key(caught.value)
    with factory() as session, pytest.raises(IntegrityError) as caught:
        scene = session.get(Scene, ours.scene_ids["42A"])
        stranger = session.scalars(
            select(CastEntry).where(CastEntry.production_id == theirs.production_id)
        ).first()
        assert scene is not None and stranger is not None
        scene.cast.append(stranger)
        session.flush()
    assert _violates_a_key(caught.value)


# ------------------------------------------------------------------ migration 0013


def _value(column: sa.Column[Any], n: int) -> Any:
    """Something the column takes, distinct per workspace `n` where it is text."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = dict
    if kind is bool:
        return False
    if kind is int:
        return n + 1
    if kind is datetime:
        return NOW
    if kind is date:
        return NOW.date()
    if kind is time:
        return time(7, 0)
    if kind is bytes:
        return b"sealed"
    if kind in (dict, list):
        return kind()
    length = getattr(column.type, "length", None) or 64
    return f"{column.name[:20]}-{n}"[:length]


def _old_rows(engine: Engine) -> dict[str, int]:
    """At 0012: one row in every table that hangs off a workspace, for each of two
    workspaces (row ids 1 and 2), every NOT NULL column filled. Returns the count by table."""
    meta = sa.MetaData()
    meta.reflect(engine)
    filled: dict[str, int] = {}
    with engine.begin() as connection:
        for table in meta.sorted_tables:
            parents = {
                k.elements[0].parent.name: k.referred_table.name
                for k in table.foreign_key_constraints
            }
            if table.name != "workspace" and not set(parents.values()) & set(filled):
                continue
            for n, team in enumerate(TEAMS):
                values = {
                    c.name: _value(c, n)
                    for c in table.columns
                    if not c.nullable and c.server_default is None
                }
                values |= {column: n + 1 for column in parents}  # the parent of workspace n
                if "team_id" in table.c:
                    values["team_id"] = team
                if "id" in table.c:
                    values["id"] = n + 1
                connection.execute(table.insert().values(values))
            filled[table.name] = len(TEAMS)
    return filled


def test_migration_0013_fills_in_team_ids_and_goes_back(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0012")
    filled = _old_rows(bare_engine)
    assert {t.name for t in _owned_tables()} <= set(filled)
    upgrade(bare_engine, "0013")

    found = _team_ids_are_their_workspace_s(bare_engine)
    assert {name: teams for name, teams in found.items()} == {
        t.name: set(TEAMS) for t in _owned_tables()
    }
    with bare_engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, team_id FROM scene ORDER BY id"))
        teams = {scene_id: team for scene_id, team in rows}
    assert teams == {1: TEAM, 2: OTHER}

    command.downgrade(alembic_config(bare_engine), "0012")
    inspector = sa.inspect(bare_engine)
    for table in _owned_tables():
        if table.name == "audit_event":  # had its team id before 0013
            continue
        assert "team_id" not in {c["name"] for c in inspector.get_columns(table.name)}
        for key in inspector.get_foreign_keys(table.name):
            assert key["constrained_columns"] != [] and "team_id" not in key["constrained_columns"]
    with bare_engine.connect() as connection:
        for name, count in filled.items():
            assert connection.scalar(sa.text(f"SELECT count(*) FROM {name}")) == count, name
    assert not any(
        u["column_names"] == ["id", "team_id"]
        for u in inspector.get_unique_constraints("workspace")
    )
    upgrade(bare_engine)  # and up again
    assert _team_ids_are_their_workspace_s(bare_engine)["member"] == set(TEAMS)
