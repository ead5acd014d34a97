"""Roles end to end: coordinators name coordinators, everyone added is told (with "This isn't
right"), every change is told to the coordinators, and a look-alike production asks its
performers nothing until someone the workspace trusts vouches for it (see `bot.roles`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.ids import BoundaryAction, ImportAction, NoteView, RoleAction, SetupView
from bot.meta import pack
from storage.models import (
    AuditEvent,
    CastEntry,
    Delivery,
    DeliveryKind,
    Member,
    PrivateNote,
    Role,
    Scene,
)
from tests.conftest import RunningApp
from tests.support.e2e import (
    AD,
    CAST_CSV,
    COORDINATOR,
    add_people,
    button_value,
    click_import,
    open_and_submit_setup,
    open_modal,
    production,
    setup_values,
    submit,
    upload,
)
from tests.support.signing import plain, users

ADMIN = "U0ADMIN001"
AD2 = "U0ADAD0002"
EVIL = "U0EVIL0001"
P1, P3 = "U0PERF0001", "U0PERF0003"

SOON_CSV = (  # scene 42A tomorrow: inside the 48-hour lead, so its performers are asked at once
    "Scene,Shoot Date,Time,Set,Cast,Intimacy,Intimacy Notes,Description\n"
    '42A,2026-03-02,14:30,INT. BEDROOM,"1, 2",yes,Kiss and embrace,Lena and Max reconcile\n'
)


def _until(found: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := found()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)
    return result


def dms(app: RunningApp, user_id: str, starting: str) -> list[dict[str, Any]]:
    """What the bot posted to `user_id` whose text starts with `starting` (waits for one)."""

    def found() -> list[dict[str, Any]]:
        return [
            c.params
            for c in app.standin.calls("chat.postMessage")
            if c.params.get("channel") == user_id and str(c.params["text"]).startswith(starting)
        ]

    result: list[dict[str, Any]] = _until(found, f"a DM to {user_id}: {starting}")
    return result


def text_of(params: dict[str, Any]) -> str:
    return json.dumps(params.get("blocks"), ensure_ascii=False) + str(params.get("text"))


def roles_of(app: RunningApp, user_id: str) -> set[tuple[str, Role]]:
    with app.session_factory() as session:
        rows = session.execute(
            select(Member.slack_user_id, Member.role).where(Member.slack_user_id == user_id)
        )
        return {(u, r) for u, r in rows}


def not_right(app: RunningApp, user_id: str) -> dict[str, Any]:
    """Press "This isn't right" on the newest "you were added" DM to `user_id`."""

    def sent() -> tuple[str, str, str] | None:
        with app.session_factory() as session:
            row = session.scalars(
                select(Delivery)
                .where(Delivery.kind == DeliveryKind.ROLE_ADDED, Delivery.recipient == user_id)
                .order_by(Delivery.id.desc())
            ).first()
            if row is None or not row.channel or not row.ts:
                return None
            return row.channel, row.ts, pack("role", d=row.id)

    channel, ts, value = _until(sent, f"the DM to {user_id} recorded as sent")
    before = len(app.standin.calls("chat.update"))
    response = app.slack.block_action(
        user_id=user_id,
        action_id=RoleAction.NOT_RIGHT,
        value=value,
        channel_id=channel,
        message={"ts": ts, "type": "message", "text": ""},
    )
    assert response.status == 200
    updated: dict[str, Any] = app.standin.wait_for("chat.update", count=before + 1)[-1].params
    assert (updated["channel"], updated["ts"]) == (channel, ts)
    return updated


def test_people_added_are_told_and_an_admin_cannot_name_coordinators(app: RunningApp) -> None:
    add_people(app.standin)
    for user_id in (ADMIN, AD2, EVIL):
        app.standin.add_user(user_id, user_id.lower())
    setup = {SetupView.ADMINS: users([ADMIN])}
    assert "is set up" in open_and_submit_setup(app, **setup).text

    told = dms(app, AD, "You were added to Night Shift")[-1]
    assert "as assistant director, by <@U0COORD001>" in text_of(told)
    assert button_value(told, RoleAction.NOT_RIGHT)
    assert "as admin, by <@U0COORD001>" in text_of(dms(app, ADMIN, "You were added")[-1])
    assert not [
        c for c in app.standin.calls("chat.postMessage") if c.params["channel"] == COORDINATOR
    ]

    # The admin may not make themselves coordinator, nor anyone else...
    opened = open_modal(app, "setup", ADMIN)
    response = submit(
        app,
        user_id=ADMIN,
        callback_id=SetupView.CALLBACK,
        private_metadata=opened["private_metadata"],
        values=setup_values(**setup, **{SetupView.COORDINATORS: users([COORDINATOR, ADMIN])}),
    )
    # Who may change whom is the database's to say: the form comes back saying so.
    assert response.view is not None and response.view["callback_id"] == SetupView.CALLBACK
    assert "Only a coordinator" in json.dumps(response.view["blocks"][0])
    assert roles_of(app, ADMIN) == {(ADMIN, Role.ADMIN)}

    # ...but may change the ADs: the coordinator hears of it, the new AD is told who did it.
    response = submit(
        app,
        user_id=ADMIN,
        callback_id=SetupView.CALLBACK,
        private_metadata=opened["private_metadata"],
        values=setup_values(**setup, **{SetupView.ADS: users([AD, AD2])}),
    )
    assert "was updated" in response.text
    assert "by <@U0ADMIN001>" in text_of(dms(app, AD2, "You were added to Night Shift")[-1])
    change = text_of(dms(app, COORDINATOR, "People changed in Night Shift")[-1])
    assert "by <@U0ADMIN001>" in change and "<@U0ADAD0002> added as assistant director" in change

    # The AD does not know this production: "This isn't right" takes them off and says so.
    updated = not_right(app, AD)
    assert "no longer in *Night Shift* as assistant director" in text_of(updated)
    assert roles_of(app, AD) == set()
    disputed = text_of(dms(app, COORDINATOR, "Someone says they should not be in")[-1])
    assert "<@U0ADAD0001> says they should not be in Night Shift" in disputed
    with app.session_factory() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "roles.disputed" in actions and actions.count("roles.change") == 2


def test_a_performer_taken_off_by_this_isnt_right_is_never_asked(app: RunningApp) -> None:
    add_people(app.standin)
    open_and_submit_setup(app)
    click_import(app, upload(app, CAST_CSV, "cast.csv"), ImportAction.APPLY)
    told = text_of(dms(app, P3, "You were added to Night Shift")[-1])
    assert "as performer, by <@U0COORD001>" in told and "confirm your boundaries" in told

    not_right(app, P3)
    assert roles_of(app, P3) == set()
    with app.session_factory() as session:
        entry = session.scalar(select(CastEntry).where(CastEntry.cast_number == "3"))
        assert entry is not None and entry.slack_user_id is None  # still cast, not on Slack
    disputed = text_of(dms(app, COORDINATOR, "Someone says they should not be in")[-1])
    assert "taken off it as performer" in disputed and "cast list" in disputed

    schedule = SOON_CSV + '44,2026-03-02,18:00,EXT. BEACH,"1,3",yes,Swimwear scene,Swim\n'
    click_import(app, upload(app, schedule, "schedule.csv"), ImportAction.APPLY)
    app.dispatch()
    dms(app, P1, "Boundary check — scene 44")
    assert not [
        c
        for c in app.standin.calls("chat.postMessage")
        if c.params["channel"] == P3 and "Boundary check" in str(c.params["text"])
    ]


def test_a_look_alike_production_asks_nothing_until_someone_trusted_vouches(
    app: RunningApp,
) -> None:
    add_people(app.standin)
    app.standin.add_user(EVIL, "evil")
    open_and_submit_setup(app)  # the real one, first in the workspace: vouched for
    look_alike = {
        SetupView.NAME: {"type": "plain_text_input", "value": "Night Shift 2"},
        SetupView.COORDINATORS: users([EVIL]),
        SetupView.ADS: users([]),
    }
    assert "is set up" in open_and_submit_setup(app, EVIL, **look_alike).text
    held = text_of(dms(app, EVIL, "Night Shift 2: performers are asked nothing yet")[-1])
    assert "vouches for it" in held

    click_import(app, upload(app, CAST_CSV, "cast.csv", user_id=EVIL), ImportAction.APPLY, EVIL)
    click_import(app, upload(app, SOON_CSV, "s.csv", user_id=EVIL), ImportAction.APPLY, EVIL)
    app.dispatch()
    look = production(app, "Night Shift 2")
    with app.session_factory() as session:
        asking = session.scalars(
            select(Delivery).where(
                Delivery.production_id == look.id,
                Delivery.kind.in_((DeliveryKind.PROMPT, DeliveryKind.NUDGE)),
            )
        ).all()
        scene = session.scalar(select(Scene).where(Scene.production_id == look.id))
        assert scene is not None
        value = pack("prompt", s=scene.id, r=scene.revision)
    assert asking == []
    # Told they were added, by whom: the performer can say it is not right.
    assert "Night Shift 2* as performer, by <@U0EVIL0001>" in text_of(
        dms(app, P1, "You were added to Night Shift 2")[-1]
    )
    # Whatever way a performer tries to answer it, it is refused.
    before = len(app.standin.calls("response_url"))
    app.slack.block_action(user_id=P1, action_id=BoundaryAction.TALK, value=value)
    refusal = app.standin.wait_for("response_url", count=before + 1)[-1].params["text"]
    assert "vouched for this production" in refusal
    with app.session_factory() as session:
        assert "boundaries.answered" not in set(session.scalars(select(AuditEvent.action)))

    # Its creator saving it again vouches for nothing; the real coordinator, added as an admin
    # and saving its setup, does: its performers are asked, and told by whom.
    look_alike[SetupView.ADMINS] = users([COORDINATOR])
    open_and_submit_setup(app, EVIL, **{**look_alike})
    dms(app, COORDINATOR, "You were added to Night Shift 2")
    assert not [
        c
        for c in app.standin.calls("chat.postMessage")
        if c.params["channel"] == P1 and "Boundary check" in str(c.params["text"])
    ]
    opened = open_modal(app, "setup Night Shift 2", COORDINATOR)
    response = submit(
        app,
        user_id=COORDINATOR,
        callback_id=SetupView.CALLBACK,
        private_metadata=opened["private_metadata"],
        values=setup_values(**look_alike),
    )
    assert "was updated" in response.text
    app.dispatch()
    prompt = text_of(dms(app, P1, "Boundary check — scene 42A")[-1])
    assert "Night Shift 2 · coordinated by <@U0EVIL0001>" in prompt
    assert "by <@U0COORD001>" in text_of(dms(app, EVIL, "Night Shift 2 is vouched for")[-1])


def test_a_workspace_admin_vouches_for_the_production_they_set_up(app: RunningApp) -> None:
    add_people(app.standin)
    open_and_submit_setup(app)
    app.standin.add_user(ADMIN, "admin")["is_admin"] = True
    second = {
        SetupView.NAME: {"type": "plain_text_input", "value": "Day Shift"},
        SetupView.COORDINATORS: users([ADMIN]),
    }
    open_and_submit_setup(app, ADMIN, **second)
    dms(app, ADMIN, "Day Shift is vouched for")
    day = production(app, "Day Shift")
    with app.session_factory() as session:
        vouched = session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.production_id == day.id, AuditEvent.action == "production.vouched"
            )
        ).all()
    assert vouched == [{"why": "workspace admin"}]


def _home_of(app: RunningApp, user_id: str) -> dict[str, Any]:
    """The Home tab published for `user_id` after they open it."""

    def mine() -> list[Any]:
        return [c for c in app.standin.calls("views.publish") if c.params["user_id"] == user_id]

    before = len(mine())
    opened = app.slack.event({"type": "app_home_opened", "user": user_id, "tab": "home"})
    assert opened.status == 200
    published = _until(lambda: mine()[before:], f"the Home of {user_id}")
    view: dict[str, Any] = published[-1].json("view")
    return view


def _action_ids(view: dict[str, Any]) -> set[str]:
    return {e.get("action_id", "") for b in view["blocks"] for e in b.get("elements", [])}


def test_a_held_production_gathers_nothing_home_notes_or_escalations(app: RunningApp) -> None:
    add_people(app.standin)
    app.standin.add_user(EVIL, "evil")
    open_and_submit_setup(app)  # the real one, first in the workspace
    look_alike = {
        SetupView.NAME: {"type": "plain_text_input", "value": "Night Shift 2"},
        SetupView.COORDINATORS: users([EVIL]),
        SetupView.ADS: users([]),
    }
    open_and_submit_setup(app, EVIL, **look_alike)
    click_import(app, upload(app, CAST_CSV, "cast.csv", user_id=EVIL), ImportAction.APPLY, EVIL)
    click_import(app, upload(app, SOON_CSV, "s.csv", user_id=EVIL), ImportAction.APPLY, EVIL)
    app.dispatch()
    look = production(app, "Night Shift 2")
    assert look.held

    # The performer's Home says it waits, and shows no scene, status or button of it.
    home = _home_of(app, P1)
    shown = json.dumps(home, ensure_ascii=False)
    assert "Waiting for the production to be confirmed" in shown
    assert "42A" not in shown and "Not asked yet" not in shown
    assert _action_ids(home) <= {""}

    # `/closedset boundaries` lists none of its scenes.
    before = len(app.standin.calls("response_url"))
    assert app.slack.command("boundaries", user_id=P1).status == 200
    listed = app.standin.wait_for("response_url", count=before + 1)[-1].params
    assert "no upcoming intimate scenes" in listed["text"]

    # A private note is refused, from the command and from a submitted form alike.
    before = len(app.standin.calls("response_url"))
    assert app.slack.command("note", user_id=P1).status == 200
    refusal = app.standin.wait_for("response_url", count=before + 1)[-1].params["text"]
    assert "takes no notes yet" in refusal
    submitted = submit(
        app,
        user_id=P1,
        callback_id=NoteView.CALLBACK,
        values={NoteView.TEXT: {"value": plain("Please call me")}},
        private_metadata=pack("note", p=look.id),
    )
    assert "takes no notes yet" in submitted.text

    # Its coordinators get no escalation or short-notice warning about its performers.
    coordinator_kinds = (DeliveryKind.ESCALATION, DeliveryKind.SHORT_NOTICE, DeliveryKind.NOTE)
    with app.session_factory() as session:
        assert not session.scalars(select(PrivateNote)).all()
        planned = session.scalars(
            select(Delivery.kind).where(
                Delivery.production_id == look.id, Delivery.kind.in_(coordinator_kinds)
            )
        ).all()
    assert planned == []

    # Vouched for by the trusted coordinator (an admin of it, saving its setup): all of it
    # comes to life.
    look_alike[SetupView.ADMINS] = users([COORDINATOR])
    open_and_submit_setup(app, EVIL, **look_alike)
    opened = open_modal(app, "setup Night Shift 2", COORDINATOR)
    submit(
        app,
        user_id=COORDINATOR,
        callback_id=SetupView.CALLBACK,
        private_metadata=opened["private_metadata"],
        values=setup_values(**look_alike),
    )
    app.dispatch()
    dms(app, P1, "Boundary check — scene 42A")
    vouched = production(app, "Night Shift 2")
    assert not vouched.held and vouched.vouched_by == COORDINATOR
    with app.session_factory() as session:
        kinds = set(session.scalars(select(Delivery.kind).where(Delivery.production_id == look.id)))
    assert DeliveryKind.ESCALATION in kinds
    assert "42A" in json.dumps(_home_of(app, P1), ensure_ascii=False)
