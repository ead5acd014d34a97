"""Enterprise Grid: one Slack user id, a member of two workspaces of the same organization.

In a Grid org the same `U…` id is a member of every workspace it joins, so a coordinator (or
AD, performer, admin) of production A in workspace TA is, by user id, the same person in
workspace TB. From TB, with TB's verified requests and A's ids in button values and modal
metadata, they must get nothing of A: every action id and every modal callback is refused as
if A's rows did not exist, no row of A changes, nothing reaches A's channels or people, no
audit event is written for A, and every Slack call goes with TB's token. The same clicks from
TA, by the same person, do work (the control, so that the refusals cannot pass vacuously).

The app runs in "Add to Slack" mode (`tests.test_oauth.serving`) with both workspaces
installed, so a request from TB is authorized with TB's own installation, as in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import time as dt_time
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Refusal, require
from bot.cast.resolve import RosterEntry
from bot.ids import (
    AdAction,
    AuditAction,
    BoundaryAction,
    CheckinAction,
    ChecklistView,
    CoordinatorAction,
    RequestAction,
)
from bot.setup import ProductionSetup
from storage import deliveries
from storage.db import session_scope
from storage.models import AuditEvent, Member, Production, Role, Scene
from storage.productions import save_setup, set_members
from storage.roster import apply_roster
from storage.scoped import owned
from tests import test_outsiders as outsiders
from tests.conftest import NOW, RunningApp
from tests.support import privacy
from tests.support.signing import Response
from tests.support.slack_standin import SlackStandIn
from tests.support.world import AD, CAST, COORDINATOR, add_scene, build
from tests.support.world import TEAM as TEAM_A
from tests.test_oauth import TEAM_B, Served, serving

ADMIN = "U0ADMIN001"
PERFORMER = CAST[0].slack_user_id or ""  # in 42A (asked, answered), 51B (closure) and check-ins
B_ROSTER_NAME = ("Sam Cole", "Sam")  # who the same person is in B's cast


@dataclass(frozen=True)
class Person:
    user_id: str
    in_b: Role  # what they are in production B, in workspace TB
    controls: tuple[str, ...]  # clicks and submissions that must work from TA


PEOPLE = {
    "coordinator": Person(
        COORDINATOR,
        Role.PERFORMER,
        (
            CoordinatorAction.VIEW_STATUS,
            CoordinatorAction.VIEW_NOTE,
            RequestAction.REMIND,
            ChecklistView.CALLBACK,
        ),
    ),
    "coordinator-of-both": Person(
        COORDINATOR,
        Role.COORDINATOR,
        (CoordinatorAction.VIEW_ANSWER, CheckinAction.VIEW, AuditAction.OLDER),
    ),
    "ad": Person(AD, Role.PERFORMER, (AdAction.SNOOZE,)),
    "performer": Person(PERFORMER, Role.PERFORMER, (BoundaryAction.REVIEW, CheckinAction.GOOD)),
    "admin": Person(ADMIN, Role.PERFORMER, (ChecklistView.CALLBACK, AuditAction.OLDER)),
}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        server.add_workspace(TEAM_A, "Night Shift Productions", enterprise_id="E0STUDIO01")
        server.add_workspace(TEAM_B, "Day Shift Films", enterprise_id="E0STUDIO01")
        yield server
    problems = privacy.check_calls(server.calls())
    assert not problems, "\n".join(problems)


@pytest.fixture
def oauth(
    engine: Engine, session_factory: sessionmaker[Session], slack: SlackStandIn
) -> Iterator[Served]:
    with serving(engine, session_factory, slack) as served:
        yield served


def _build_b(app: RunningApp, person: Person) -> None:
    """Production B, "Harbour Lights", in workspace TB: the same user id in its cast (and
    its coordinator, for `coordinator-of-both`)."""
    coordinators = (person.user_id,) if person.in_b is Role.COORDINATOR else ()
    with session_scope(app.session_factory) as session:
        production = save_setup(
            session,
            team_id=TEAM_B,
            production=None,
            setup=ProductionSetup(
                name="Harbour Lights",
                zone="Europe/Lisbon",
                coordinators=(outsiders.OTHER_COORDINATOR, *coordinators),
                ads=(),
                admins=(),
                ad_channel=None,
                lead=timedelta(hours=48),
                nudge=timedelta(hours=24),
                escalation=timedelta(hours=12),
                default_call=dt_time(8, 0),
                intimacy_category=None,
            ),
            now=NOW,
        )
        name, character = B_ROSTER_NAME
        cast = [RosterEntry("1", character, name, person.user_id, "sam", "sam@example.com")]
        apply_roster(session, production_id=production.id, entries=cast)
        add_scene(session, production, "7", NOW + timedelta(days=3), ("1",), now=NOW, content="-")
        deliveries.sync_production(session, production, now=NOW)
    app.dispatch()


def _a_words(person: Person) -> re.Pattern[str]:
    """What nobody may be shown of A from TB: `tests.test_outsiders.A_WORDS` but the person's
    own user id (their TB Home tab, a DM in TB, may name them)."""
    words = outsiders.A_WORDS.pattern.split("|")
    own = rf"(?<!\w){re.escape(person.user_id)}(?!\w)"
    return re.compile("|".join(w for w in words if w != own))


def _where(click: outsiders.Click, a: outsiders.WorldA) -> dict[str, Any]:
    if click.where == "home":
        return {"view": {"id": "VHOME00001", "type": "home"}}
    if click.where == "modal":
        return {"view": {"id": "VMODAL0001", "type": "modal", "private_metadata": click.value}}
    if click.where == "own_channel":
        return {"channel_id": outsiders.OUTSIDER_CHANNEL}
    channel, ts = a.reminder_at
    return {"channel_id": channel, "message": {"ts": ts, "type": "message", "text": ""}}


class Watch:
    """What a request did to production A: rows changed, audit events written for A, Slack
    calls made with a token other than the expected workspace's, and anything of A shown."""

    def __init__(self, app: RunningApp, jobs: outsiders.Jobs, a: outsiders.WorldA) -> None:
        self.app, self.jobs, self.a = app, jobs, a

    def __call__(
        self, send: Callable[[], Response], *, team_id: str, shown: re.Pattern[str]
    ) -> list[str]:
        app = self.app
        before, since = outsiders.snapshot(app.engine), len(app.standin.calls())
        with app.session_factory() as session:
            audited = session.scalar(select(func.max(AuditEvent.id))) or 0
        response = send()
        self.jobs.settle()
        seen = []
        if response.status != 200:
            seen.append(f"HTTP {response.status}")
        found = shown.search(response.text)
        if found:
            seen.append(f"the acknowledgement shows {found.group(0)!r}")
        after = outsiders.snapshot(app.engine)
        changed = [t for t in outsiders._changed(before, after) if t != "audit_event"]
        if changed:
            seen.append(f"changed {', '.join(changed)}")
        with app.session_factory() as session:
            added = session.scalars(select(AuditEvent).where(AuditEvent.id > audited)).all()
            in_a = [
                e.action
                for e in added
                if e.team_id == TEAM_A or e.production_id == self.a.production
            ]
        if in_a:
            seen.append(f"audited in A: {in_a}")
        for call in app.standin.calls()[since:]:
            if call.token and app.standin.team_of_token(call.token) != team_id:
                seen.append(f"{call.method} with another workspace's token")
            where = str(call.params.get("channel") or "")
            if call.method.startswith("chat.") and where in (
                outsiders.AD_CHANNEL,
                outsiders.DEPARTMENT,
            ):
                seen.append(f"{call.method} to {where}")
            if call.method.startswith(("chat.", "views.")) or call.method == "response_url":
                text = json.dumps(call.params, ensure_ascii=False)
                found = shown.search(text)
                if found:
                    seen.append(f"{call.method} shows {found.group(0)!r}")
        return seen


@pytest.mark.parametrize("who", list(PEOPLE))
def test_the_same_user_in_another_workspace_gets_nothing_of_a_with_its_ids(
    oauth: Served, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    person = PEOPLE[who]
    oauth.install(TEAM_A)
    oauth.install(TEAM_B)
    app = oauth.running_app()
    a = outsiders._build_a(app)
    with session_scope(app.session_factory) as session:  # A's admin (build() names none)
        set_members(session, production_id=a.production, role=Role.ADMIN, user_ids=[ADMIN])
    _build_b(app, person)
    watch = Watch(app, outsiders.Jobs(app.worker, monkeypatch), a)
    from_tb, problems = _a_words(person), []
    clicks, submissions = outsiders.clicks(a), outsiders.submissions(a)

    def click(action_id: str, team_id: str) -> Response:
        value = clicks[action_id].value
        return app.slack.block_action(
            user_id=person.user_id,
            action_id=action_id,
            team_id=team_id,
            value=value,
            **_where(clicks[action_id], a),
        )

    def submit(callback_id: str, team_id: str) -> Response:
        metadata, values = submissions[callback_id]
        return app.slack.view_submission(
            user_id=person.user_id,
            callback_id=callback_id,
            team_id=team_id,
            private_metadata=metadata,
            values=values,
        )

    for action_id in clicks:
        seen = watch(partial(click, action_id, TEAM_B), team_id=TEAM_B, shown=from_tb)
        problems.extend(f"{action_id}: {s}" for s in seen)
    for callback_id in submissions:
        seen = watch(partial(submit, callback_id, TEAM_B), team_id=TEAM_B, shown=from_tb)
        problems.extend(f"{callback_id}: {s}" for s in seen)
    assert not problems, "\n".join(problems)

    # The control: the same person, the same ids, from A's own workspace.
    for name in person.controls:
        send = submit if name in submissions else click
        seen = watch(partial(send, name, TEAM_A), team_id=TEAM_A, shown=outsiders.A_WORDS)
        worked = [s for s in seen if s.startswith(("changed", "audited in A", "views.", "chat."))]
        assert worked, f"{name} from workspace A did nothing of A: {seen}"
        assert not [s for s in seen if "token" in s or s.startswith("HTTP")], seen


def test_require_and_owned_refuse_a_production_of_another_workspace(
    session_factory: sessionmaker[Session],
) -> None:
    """`bot.access.require` and `storage.scoped.owned` with TB's team id (or none) and A's
    ids, for a user id that coordinates A: the outsider's refusal naming nothing, and no row."""
    world = build(session_factory, now=NOW)
    scene_id = world.scene_ids["42A"]
    with session_factory() as session:
        production = session.get_one(Production, world.production_id)
        kwargs = {"production": production, "user_id": COORDINATOR, "doing": "do this"}
        held = require(session, team_id=TEAM_A, roles=(Role.COORDINATOR,), **kwargs)
        assert held == {Role.COORDINATOR}
        for team in (TEAM_B, ""):
            with pytest.raises(Refusal) as refused:
                require(session, team_id=team, roles=(Role.COORDINATOR,), **kwargs)
            assert str(refused.value) == "Only a coordinator of this production can do this."
        assert owned(session, Production, production.id, team_id=TEAM_A) is production
        assert owned(session, Scene, str(scene_id), team_id=TEAM_A) is not None
        for model, row_id, team in [
            (Production, production.id, TEAM_B),
            (Scene, scene_id, TEAM_B),
            (Scene, scene_id, ""),
            (Scene, None, TEAM_A),
            (Scene, "4x", TEAM_A),
            (Scene, 2**31, TEAM_A),
            (Scene, 0, TEAM_A),
        ]:
            assert owned(session, model, row_id, team_id=team) is None, (model, row_id, team)
        with pytest.raises(TypeError):
            owned(session, Member, 1, team_id=TEAM_A)
