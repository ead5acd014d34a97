"""What sits at rest: after every kind of answer went through the real app, no database row
holds a performer's Slack ID beside a plaintext answer, and no answer text is anywhere in the
database (its rows, and for SQLite its file and write-ahead log, byte for byte). Also the
migration that sealed the answers' kinds (0010), on a database that had some."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from bot.checkins import Tap
from bot.config import ConfigError
from bot.crypto import Cipher, generate_key
from bot.ids import (
    VALUE,
    BoundaryAction,
    ChangesView,
    CheckinAction,
    ClosureAction,
    ConfirmView,
    NoteView,
)
from storage.boundaries import Boundaries, Choice, stated
from storage.db import (
    alembic_config,
    make_session_factory,
    session_scope,
    upgrade,
)
from storage.models import (
    AnswerKind,
    Base,
    BoundaryAnswer,
    Delivery,
    DeliveryKind,
    Production,
)
from storage.secrets import seal, seal_stamped
from tests.conftest import NOW, RunningApp
from tests.support.e2e import button_value, submit
from tests.support.signing import plain, radio
from tests.support.world import COORDINATOR, build

P1, P2, P3 = "U0PERF0001", "U0PERF0002", "U0PERF0003"
PERFORMERS = (P1, P2, P3)
CHANGES_NOTE = "Zebra-striped robe stays on, please"
NOTE = "Quokka: I would like a closed monitor"
TEXTS = (CHANGES_NOTE, NOTE)
"""What performers typed: in no row, no file, anywhere."""
ANSWER_WORDS = re.compile(
    r"\b(confirmed|changes|talk|withdrawn|pause|good|adjust|ok|not_ok|still good"
    r"|want to adjust|need a pause|it went ok|would like to talk)\b",
    re.IGNORECASE,
)
"""Every kind of answer, by value and by label."""
FILE_WORDS = (b"confirmed", b"withdrawn", b"changes", b"adjust", b"not_ok", b"Still good")
"""Answer words with no other reason to be in the database file at all. ("pause" is the kind
of the coordinators' alert, a row naming no performer; "talk" and "ok" are too short to
search bytes for.)"""


def _messages(app: RunningApp, user_id: str, starting: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        found = [
            c.params
            for c in app.standin.calls("chat.postMessage")
            if c.params.get("channel") == user_id
            and str(c.params.get("text", "")).startswith(starting)
            and c.response
            and c.response.get("ok")
        ]
        if found or time.monotonic() > deadline:
            assert found, f"no message to {user_id}: {starting}"
            return found
        time.sleep(0.05)


def _click(app: RunningApp, user_id: str, action: str, message: dict[str, Any]) -> None:
    response = app.slack.block_action(
        user_id=user_id,
        action_id=action,
        value=button_value(message, action),
        channel_id=app.standin.dm_channel_id(user_id),
        message={"ts": "1.1", "type": "message", "text": message.get("text", "")},
    )
    assert response.status == 200


def _opened(app: RunningApp, before: int) -> dict[str, Any]:
    view: dict[str, Any] = app.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    return view


def _answers_of(app: RunningApp) -> list[tuple[str, AnswerKind]]:
    with session_scope(app.session_factory) as session:
        rows = session.scalars(select(BoundaryAnswer).order_by(BoundaryAnswer.id))
        return [(a.performer_id, a.kind) for a in rows]


def _every_answer(app: RunningApp) -> datetime:
    """Each kind of boundary answer, a note, a check-in with every tap, and closure answers.
    Returns when the pause was asked for."""
    build(app.session_factory, now=NOW, scenes={"42A": (timedelta(hours=3), ("1", "2", "3"))})
    app.dispatch()  # inside the lead: everyone is asked at once
    prompts = {p: _messages(app, p, "Boundary check")[0] for p in PERFORMERS}

    before = len(app.standin.calls("views.open"))  # P1 confirms, then withdraws
    _click(app, P1, BoundaryAction.REVIEW, prompts[P1])
    review = _opened(app, before)
    assert review["callback_id"] == ConfirmView.CALLBACK
    confirmed = submit(
        app,
        user_id=P1,
        callback_id=ConfirmView.CALLBACK,
        values={},
        private_metadata=review["private_metadata"],
    )
    assert "Thank you" in confirmed.text
    updated = app.standin.wait_for("chat.update")[-1].params  # the prompt, now answered
    _click(app, P1, BoundaryAction.WITHDRAW, updated)

    before = len(app.standin.calls("views.open"))  # P2 sets out their boundaries
    _click(app, P2, BoundaryAction.CHANGES, prompts[P2])
    form = _opened(app, before)
    items = [b for b in form["blocks"] if b.get("block_id", "").startswith(ChangesView.ITEM)]
    choices = [Choice.NOT_OK, Choice.TALK, Choice.OK]
    values: dict[str, Any] = {
        b["block_id"]: {VALUE: radio(choices[i % 3].value)} for i, b in enumerate(items)
    }
    values[ChangesView.NOTE] = {VALUE: plain(CHANGES_NOTE)}
    submitted = submit(
        app,
        user_id=P2,
        callback_id=ChangesView.CALLBACK,
        values=values,
        private_metadata=form["private_metadata"],
    )
    assert "Thank you" in submitted.text

    _click(app, P3, BoundaryAction.TALK, prompts[P3])  # P3 would like to talk
    deadline = time.monotonic() + 10
    while len(_answers_of(app)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _answers_of(app) == [
        (P1, AnswerKind.CONFIRMED),
        (P1, AnswerKind.WITHDRAWN),
        (P2, AnswerKind.CHANGES),
        (P3, AnswerKind.TALK),
    ]

    before = len(app.standin.calls("views.open"))  # and P1 writes a private note
    app.slack.command("note", user_id=P1)
    note = _opened(app, before)
    thanked = submit(
        app,
        user_id=P1,
        callback_id=NoteView.CALLBACK,
        values={NoteView.TEXT: {VALUE: plain(NOTE)}},
        private_metadata=note["private_metadata"],
    )
    assert "Thank you" in thanked.text

    app.slack.command("checkin 42A", user_id=COORDINATOR)  # a check-in: every tap
    checkins = {p: _messages(app, p, "Check-in — scene 42A")[0] for p in PERFORMERS}
    app.clock.advance(timedelta(minutes=1))
    _click(app, P1, CheckinAction.GOOD, checkins[P1])
    _click(app, P2, CheckinAction.ADJUST, checkins[P2])
    app.clock.advance(timedelta(minutes=1, seconds=7))
    paused_at = app.clock.now()
    _click(app, P3, CheckinAction.PAUSE, checkins[P3])
    _messages(app, COORDINATOR, "Pause requested — scene 42A")

    app.clock.advance(timedelta(hours=8))  # wrapped by itself: closure questions
    app.dispatch()
    for performer, action in zip(
        PERFORMERS, (ClosureAction.OK, ClosureAction.NOT_OK, ClosureAction.TALK), strict=True
    ):
        _click(app, performer, action, _messages(app, performer, "How did scene 42A go?")[0])
    deadline = time.monotonic() + 10
    while len(app.standin.calls("response_url")) < 3 + 3 + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    app.dispatch()
    return paused_at


def _rows(session: Session) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every row of every table, as the database holds it (SQLAlchemy Core, no models)."""
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            yield table.name, dict(row)


def _as_text(value: Any) -> str:
    if isinstance(value, (bytes, memoryview)):
        return ""  # sealed: checked apart
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def test_no_row_or_file_pairs_a_performer_with_an_answer(http_app: RunningApp) -> None:
    app = http_app
    paused_at = _every_answer(app)
    sealed = 0
    with session_scope(app.session_factory) as session:
        rows = list(_rows(session))
        pauses = session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.PAUSE))
        pause_times = {t for row in pauses for t in (row.created_at, row.due_at)}
    assert pause_times == {paused_at}
    seen_tables = set()
    for table, row in rows:
        seen_tables.add(table)
        texts = [_as_text(v) for v in row.values()]
        joined = "\n".join(texts)
        for typed in TEXTS:
            assert typed not in joined, f"{table} holds what a performer typed"
        for value in row.values():
            if isinstance(value, (bytes, memoryview)):
                assert bytes(value).startswith(b"gAAAAA"), f"{table}: bytes that are not sealed"
                sealed += 1
        named = [p for p in PERFORMERS if p in joined]
        if not named:
            continue
        words = ANSWER_WORDS.findall(joined)
        assert not words, f"{table} row naming {named} holds answer words {words}: {row}"
        # Nothing naming a performer is dated when the pause came: that time is the pause's.
        times = {v for v in row.values() if isinstance(v, datetime)}
        assert not times & {paused_at}, f"{table} row naming {named} is dated like the pause"
    assert {"boundary_answer", "checkin_answer", "closure_answer", "private_note"} <= seen_tables
    # Nor does a sealed column tell an answer by being empty or by its length.
    for table, column in (
        ("boundary_answer", "kind_ct"),
        ("boundary_answer", "boundaries_ct"),
        ("checkin_answer", "answer_ct"),
        ("closure_answer", "answer_ct"),
    ):
        lengths = {len(bytes(r[column] or b"")) for t, r in rows if t == table}
        assert len(lengths) == 1 and 0 not in lengths, f"{table}.{column}: lengths {lengths}"
    assert sealed >= 4 + 3 + 3 + 1  # kinds, taps, closure answers, the note (at least)

    if app.engine.dialect.name == "sqlite":
        # Read while the app holds the database open: the write-ahead log then still has the
        # newest pages (and older versions of them), before a checkpoint folds it in.
        database = Path(str(app.engine.url.database))
        files = [database, database.with_name(database.name + "-wal")]
        assert all(path.stat().st_size > 0 for path in files)
        everything = b"".join(path.read_bytes() for path in files)
        assert P3.encode() in everything and b"Jane Doe" in everything  # the scan sees rows
        for path in files:
            data = path.read_bytes()
            for typed in TEXTS:
                assert typed.encode() not in data, f"{path.name} holds what a performer typed"
            for word in FILE_WORDS:
                assert word not in data, f"{path.name} holds {word!r}"


def test_every_answer_seals_to_the_same_length(session_factory: Any) -> None:
    """Fernet pads to 16-byte blocks: each set of answers must fill the same blocks, or a
    token's length would tell which answer it holds."""
    from bot.checkins import Closure

    with session_factory() as session:
        kinds = {len(seal(session, k.value) or b"") for k in AnswerKind}
        at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
        taps = {len(seal_stamped(session, t.value, at)) for t in Tap}
        closures = {len(seal(session, c.value) or b"") for c in Closure}
    assert len(kinds) == len(taps) == len(closures) == 1


# ------------------------------------------------------------------ migration 0010


def _old_rows(engine: Engine, cipher: Cipher) -> None:
    """At 0009: two productions (one held, one held then vouched for) and three answers, their
    kinds in plaintext, boundaries only on the one asking for changes."""
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    at = NOW
    with engine.begin() as connection:
        connection.execute(t["workspace"].insert().values(id=1, team_id="T0OLD", created_at=at))
        for production_id, name in ((1, "Held"), (2, "Vouched")):
            connection.execute(
                t["production"]
                .insert()
                .values(
                    id=production_id,
                    workspace_id=1,
                    name=name,
                    time_zone="Europe/London",
                    lead_minutes=2880,
                    nudge_minutes=1440,
                    escalation_minutes=720,
                    default_call=clock_time(7, 0),
                    created_at=at,
                    updated_at=at,
                )
            )
        connection.execute(
            t["scene"]
            .insert()
            .values(
                id=1,
                production_id=2,
                number="42A",
                shoot_date=at.date(),
                start_at=at,
                start_estimated=False,
                set_name="INT",
                intimacy=True,
                intimacy_by_coordinator=False,
                planned_content_by_coordinator=False,
                revision=1,
                removed=False,
                created_at=at,
                updated_at=at,
            )
        )
        stated = Boundaries(items={1: ("Kissing", "not_ok")}, note=CHANGES_NOTE).to_json()
        for answer_id, kind in ((1, "confirmed"), (2, "talk"), (3, "changes")):
            connection.execute(
                t["boundary_answer"]
                .insert()
                .values(
                    id=answer_id,
                    production_id=2,
                    scene_id=1,
                    performer_id=P1,
                    revision=1,
                    kind=kind,
                    boundaries_ct=cipher.encrypt(stated) if kind == "changes" else None,
                    at=at + timedelta(minutes=answer_id),
                )
            )
        for event_id, production_id, action, actor in (
            (1, 1, "production.held", "U0EVIL0001"),
            (2, 2, "production.held", "U0EVIL0001"),
            (3, 2, "production.vouched", COORDINATOR),
        ):
            connection.execute(
                t["audit_event"]
                .insert()
                .values(
                    id=event_id,
                    at=at + timedelta(hours=event_id),
                    team_id="T0OLD",
                    production_id=production_id,
                    actor=actor,
                    action=action,
                    subject="",
                    detail={},
                )
            )


def test_the_migration_seals_existing_answers_and_keeps_the_hold(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0009")
    cipher = Cipher([generate_key()])
    _old_rows(bare_engine, cipher)
    with pytest.raises(ConfigError, match="needs the encryption key"):
        upgrade(bare_engine, "0010")  # answers to seal and no key: stops, changing nothing
    upgrade(bare_engine, cipher=cipher)

    columns = {c["name"] for c in sa.inspect(bare_engine).get_columns("boundary_answer")}
    assert "kind" not in columns and "kind_ct" in columns
    with bare_engine.connect() as connection:
        raw = connection.execute(text("SELECT kind_ct, boundaries_ct FROM boundary_answer"))
        tokens = [bytes(token) for row in raw for token in row]
    assert all(token.startswith(b"gAAAAA") for token in tokens)
    assert len({len(token) for token in tokens[1::2]}) == 1  # boundaries: all alike
    with session_scope(make_session_factory(bare_engine, cipher)) as session:
        answers = session.scalars(select(BoundaryAnswer).order_by(BoundaryAnswer.id)).all()
        assert [a.kind for a in answers] == [
            AnswerKind.CONFIRMED,
            AnswerKind.TALK,
            AnswerKind.CHANGES,
        ]
        assert [stated(session, a) for a in answers[:2]] == [None, None]
        found = stated(session, answers[2])
        assert found is not None and found.note == CHANGES_NOTE
        assert found.items == {1: ("Kissing", "not_ok")}
        held, vouched = session.get(Production, 1), session.get(Production, 2)
        assert held is not None and vouched is not None
        assert held.held and held.vouched_at is None
        assert not vouched.held and vouched.vouched_by == COORDINATOR
        assert vouched.vouched_at == NOW + timedelta(hours=3)

    # And back: the kinds in plaintext again, boundaries only where stated, no row lost.
    command.downgrade(alembic_config(bare_engine, cipher), "0010@0009")
    with bare_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT kind, boundaries_ct FROM boundary_answer ORDER BY id")
        ).all()
        scenes = connection.execute(text("SELECT count(*) FROM scene")).scalar()
    assert [(kind, token is None) for kind, token in rows] == [
        ("confirmed", True),
        ("talk", True),
        ("changes", False),
    ]
    assert scenes == 1
