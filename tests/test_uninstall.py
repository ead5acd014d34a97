"""Removing the app erases the workspace: on `app_uninstalled` (or the bot token revoked) every
row of that workspace is deleted within the minute, and nothing of another workspace."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import Engine, inspect, select, text

from storage.db import session_scope
from storage.models import AuditEvent, Delivery, Production, Workspace
from tests.conftest import NOW, RunningApp
from tests.support.world import TEAM, build

OTHER = "T0OTHER001"


def _rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in inspect(engine).get_table_names()
            if table != "alembic_version"
        }


def _workspace(app: RunningApp, team: str, name: str) -> None:
    build(
        app.session_factory,
        now=NOW,
        team_id=team,
        name=name,
        scenes={"42A": (timedelta(days=5), ("1", "2")), "43": (timedelta(hours=3), ("3",))},
    )
    with session_scope(app.session_factory) as session:
        session.add(AuditEvent(at=NOW, team_id=team, actor="U0COORD001", action="test.read"))


def _wait_gone(app: RunningApp, team: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        with session_scope(app.session_factory) as session:
            if session.scalar(select(Workspace).where(Workspace.team_id == team)) is None:
                return
        assert time.monotonic() < deadline, "the workspace was not erased"
        time.sleep(0.05)


def test_uninstall_erases_every_row_of_the_workspace_and_nothing_else(app: RunningApp) -> None:
    _workspace(app, OTHER, "Day Shift")
    only_other = _rows(app.engine)
    _workspace(app, TEAM, "Night Shift")
    both = _rows(app.engine)
    assert both["delivery"] > only_other["delivery"] > 0
    assert both["scene"] == 2 * only_other["scene"] == 4
    response = app.slack.event({"type": "app_uninstalled"}, team_id=TEAM)
    assert response.status == 200
    _wait_gone(app, TEAM)
    after = _rows(app.engine)
    after.pop("processed_event"), only_other.pop("processed_event")  # the event's own id
    assert after == only_other  # exactly the other workspace's rows are left
    with session_scope(app.session_factory) as session:
        productions = {d.production_id for d in session.scalars(select(Delivery))}
        teams = {session.get_one(Production, p).workspace.team_id for p in productions}
        assert teams == {OTHER}


def test_a_revoked_bot_token_erases_and_a_revoked_user_token_does_not(app: RunningApp) -> None:
    _workspace(app, OTHER, "Day Shift")
    _workspace(app, TEAM, "Night Shift")
    app.slack.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0COORD001"]}}, team_id=TEAM)
    time.sleep(0.3)
    with session_scope(app.session_factory) as session:
        assert session.scalar(select(Workspace).where(Workspace.team_id == TEAM)) is not None
    app.slack.event({"type": "tokens_revoked", "tokens": {"bot": ["B0BOT0001"]}}, team_id=TEAM)
    _wait_gone(app, TEAM)
    with session_scope(app.session_factory) as session:
        assert session.scalar(select(Workspace).where(Workspace.team_id == OTHER)) is not None
