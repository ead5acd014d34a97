"""The Home tab, per role: published when opened, refreshed when the data changes, and showing
each person exactly what their roles may see. Each role's test searches the published view for
every other performer's name and answer."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.confirmations import answer
from bot.ids import BoundaryAction, CoordinatorAction, HomeAction
from storage.boundaries import Boundaries
from storage.db import session_scope
from storage.models import AnswerKind, Production, Role, Scene
from storage.productions import set_members
from tests.conftest import NOW, RunningApp
from tests.support import privacy
from tests.support.e2e import button_value, home_view, next_home
from tests.support.world import AD, COORDINATOR, TEAM, build

P1, P2, P3 = "U0PERF0001", "U0PERF0002", "U0PERF0003"
NOTE = "Bob prefers no kissing in the second take"
IDENTITIES = {
    P1: ("Jane", "Doe", "Lena", P1),
    P2: ("Bob", "Smith", "Max", P2),
    P3: ("Ana", "Núñez", "Ines", P3),
}


@pytest.fixture
def answered(app: RunningApp) -> RunningApp:
    """42A: Jane and Bob; 44: Jane and Ana. Jane confirmed 42A, Bob set out boundaries for it
    (with a note), Ana wants to talk about 44."""
    privacy.sensitive(NOTE)
    build(
        app.session_factory,
        now=NOW,
        scenes={"42A": (timedelta(days=5), ("1", "2")), "44": (timedelta(days=6), ("1", "3"))},
    )
    with session_scope(app.session_factory) as session:
        scenes = {s.number: s for s in session.scalars(select(Scene))}
        for scene, performer, kind, stated in (
            ("42A", P1, AnswerKind.CONFIRMED, None),
            (
                "42A",
                P2,
                AnswerKind.CHANGES,
                Boundaries(items={1: ("Kissing", "not_ok")}, note=NOTE),
            ),
            ("44", P3, AnswerKind.TALK, None),
        ):
            answer(
                session,
                scene=scenes[scene],
                performer=performer,
                kind=kind,
                now=NOW,
                team_id=TEAM,
                stated=stated,
            )
    return app


def home_of(app: RunningApp, user_id: str) -> str:
    return json.dumps(home_view(app, user_id), ensure_ascii=False)


def absent(view: str, *words: str) -> None:
    for word in words:
        assert word not in view, word


def test_a_performer_sees_their_own_scenes_and_answers_only(answered: RunningApp) -> None:
    view = home_of(answered, P2)
    assert "Scene 42A" in view and "You set out your boundaries" in view
    assert BoundaryAction.CHANGES in view and "Note to the coordinator" in view
    absent(view, "Scene 44", *IDENTITIES[P1], *IDENTITIES[P3], NOTE, "Wants to talk", "Confirmed")
    jane = home_of(answered, P1)
    assert "You confirmed" in jane and "Scene 44" in jane
    absent(jane, *IDENTITIES[P2], *IDENTITIES[P3], NOTE, "set out your boundaries", "talk to")


def test_an_ad_sees_scene_logistics_and_sign_off_only(answered: RunningApp) -> None:
    view = home_of(answered, AD)
    assert "Scene 42A" in view and "Scene 44" in view and "IC sign-off pending" in view
    assert "Closed set" in view and "Next reminder" in view and "INT. BEDROOM" in view
    for words in IDENTITIES.values():
        absent(view, *words)
    absent(view, NOTE, "Confirmed", "Wants to talk", "Asked for changes", "You ")


def test_a_coordinator_sees_every_performer_state_notes_requests_and_shortcuts(
    answered: RunningApp,
) -> None:
    view = home_of(answered, COORDINATOR)
    assert "Jane Doe (Lena): Confirmed" in view and "Bob Smith (Max): Asked for changes" in view
    assert "Ana Núñez (Ines): Wants to talk" in view
    for action in (HomeAction.REQUEST, HomeAction.CHECKLIST, HomeAction.SETUP):
        assert action in view
    assert CoordinatorAction.START_CHECKIN in view and CoordinatorAction.VIEW_STATUS in view
    absent(view, NOTE)  # notes and boundaries open in a modal, not on Home


def test_someone_in_no_production_is_told_what_this_is(answered: RunningApp) -> None:
    view = home_of(answered, "U0STRANGER")
    assert "not in a production yet" in view and "/closedset setup" in view
    for words in IDENTITIES.values():
        absent(view, *words)


def test_several_roles_see_each_of_their_sections_and_nothing_more(answered: RunningApp) -> None:
    with session_scope(answered.session_factory) as session:
        production = session.scalars(select(Production)).one()
        set_members(session, production_id=production.id, role=Role.AD, user_ids=[AD, P1])
    view = home_of(answered, P1)
    assert "Your intimate scenes" in view and "Upcoming intimate scenes" in view
    assert "You confirmed" in view
    absent(view, *IDENTITIES[P2], *IDENTITIES[P3], NOTE, "Asked for changes", "Wants to talk")


def test_long_schedules_page_within_the_block_limit(app: RunningApp) -> None:
    scenes = {f"{n}": (timedelta(days=2, hours=n), ("1", "2", "3")) for n in range(1, 31)}
    build(app.session_factory, now=NOW, scenes=scenes)
    first = home_of(app, COORDINATOR)
    assert "Scene 1*" in first and "Scene 9*" not in first and HomeAction.PAGE in first
    page = json.loads(first)
    later = next(
        e
        for b in page["blocks"]
        if b.get("block_id") == "home_paging"
        for e in b["elements"]
        if "Later" in e["text"]["text"]
    )
    second = next_home(
        app,
        COORDINATOR,
        lambda: app.slack.block_action(
            user_id=COORDINATOR,
            action_id=HomeAction.PAGE,
            value=later["value"],
            view={**page, "id": "V0HOME"},
        ),
    )
    text = json.dumps(second)
    assert "Scene 9*" in text and "Scene 1*" not in text and len(second["blocks"]) <= 100


def test_an_answer_refreshes_the_performers_and_coordinators_home(app: RunningApp) -> None:
    from tests.test_e2e_boundaries import review_and_confirm

    app.standin.add_user(COORDINATOR, "coord", real_name="Cora Ordinator")
    build(app.session_factory, now=NOW)
    app.clock.advance(timedelta(days=3))
    app.dispatch()
    review_and_confirm(app, P1)
    deadline = time.monotonic() + 5
    published: set[str] = set()
    while time.monotonic() < deadline and not {P1, COORDINATOR} <= published:
        published = {c.params["user_id"] for c in app.standin.calls("views.publish")}
        time.sleep(0.05)
    assert {P1, COORDINATOR} <= published and P2 not in published
    calls: list[Any] = [c for c in app.standin.calls("views.publish") if c.params["user_id"] == P1]
    assert "You confirmed" in json.dumps(calls[-1].json("view"))
    button_value({"blocks": calls[-1].json("view")["blocks"]}, BoundaryAction.REVIEW)
