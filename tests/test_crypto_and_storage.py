"""Encryption at rest and the storage layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import stat
import threading
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.cast.resolve import RosterEntry
from bot.config import ConfigError, load_settings, validate_key
from bot.crypto import Cipher, DecryptionError, generate_key, key_file_for, load_cipher
from bot.depersonalize import check_request
from bot.imports import apply_schedule_plan, plan_schedule_import
from bot.requests import identities
from bot.schedule.model import ImportedScene, ImportedSchedule
from bot.setup import ProductionSetup
from storage.boundaries import checklist, set_checklist
from storage.db import alembic_config, make_engine, make_session_factory, session_scope
from storage.deliveries import delivery_ids, send_now
from storage.imports import payload_of, save_pending
from storage.models import ChecklistItem, Delivery, DeliveryKind, Production, Role, Scene
from storage.productions import roles_of, save_setup
from storage.roster import apply_roster
from storage.secrets import opaque_key, seal, unseal

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
SECRET = "Full nudity; closed set; modesty garment for Jane"
LONDON = ZoneInfo("Europe/London")


def test_newest_key_encrypts_and_every_key_decrypts() -> None:
    old, new = generate_key(), generate_key()
    sealed_old = Cipher([old]).encrypt("answer")
    rotated = Cipher([new, old])
    assert rotated.decrypt(sealed_old) == "answer"
    sealed_new = rotated.encrypt("answer")
    assert Cipher([new]).decrypt(sealed_new) == "answer"
    with pytest.raises(DecryptionError) as caught:
        Cipher([old]).decrypt(sealed_new)
    assert "answer" not in str(caught.value)
    assert Cipher([new]).decrypt(rotated.rotate(sealed_old)) == "answer"


def test_key_validation() -> None:
    assert validate_key(generate_key())
    assert not validate_key("short") and not validate_key("!" * 44)


def test_migrations_match_models(migrated_engine: Engine) -> None:
    command.check(alembic_config(migrated_engine))  # raises if models and migrations drifted
    tables = set(inspect(migrated_engine).get_table_names())
    assert {
        "workspace",
        "production",
        "member",
        "cast_entry",
        "scene",
        "scene_cast",
        "audit_event",
        "pending_import",
        "processed_event",
    } <= tables


def _production(session: Session) -> Production:
    return save_setup(
        session,
        team_id="T1",
        production=None,
        now=NOW,
        setup=ProductionSetup(
            name="Night Shift",
            zone="Europe/London",
            coordinators=("UC",),
            ads=("UA",),
            admins=(),
            ad_channel="C1",
            lead=timedelta(hours=48),
            nudge=timedelta(hours=24),
            escalation=timedelta(hours=12),
            default_call=time(7),
            intimacy_category=None,
        ),
    )


def _import(session: Session, production: Production, schedule: ImportedSchedule) -> None:
    plan = plan_schedule_import(session, production=production, schedule=schedule)
    apply_schedule_plan(
        session,
        production=production,
        schedule=schedule,
        base_digest=plan.base_digest,
        now=NOW,
        actor="UC",
    )


def _scene(number: str, day: int, content: str | None) -> ImportedScene:
    return ImportedScene(
        number=number,
        shoot_date=datetime(2026, 3, day).date(),
        start_at=datetime(2026, 3, day, 14, 30, tzinfo=LONDON),
        set_name="INT. BEDROOM",
        cast_refs=("1",),
        intimacy=content is not None,
        planned_content=content,
        synopsis="Lena and Max",
        row=2,
    )


def test_no_plaintext_in_the_raw_database(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with session_scope(session_factory) as session:
        production = _production(session)
        apply_roster(
            session,
            production_id=production.id,
            entries=[RosterEntry("1", "Lena", "Jane Doe", "UP1")],
        )
        schedule = ImportedSchedule((_scene("42A", 10, SECRET),), "csv")
        _import(session, production, schedule)
        save_pending(
            session,
            production_id=production.id,
            kind="schedule",
            payload='{"note": "' + SECRET + '"}',
            base_digest="x",
            requested_by="UC",
            now=NOW,
        )
    needles = [SECRET.encode(), b"modesty", b"Lena and Max"]
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    for needle in needles:
                        assert needle not in raw, f"plaintext in {table}"
    with session_factory() as session:
        scene = session.scalar(select(Scene))
        assert scene is not None and unseal(session, scene.planned_content_ct) == SECRET


def test_another_key_cannot_read(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        production = _production(session)
        pending = save_pending(
            session,
            production_id=production.id,
            kind="cast",
            payload="[]",
            base_digest="x",
            requested_by="UC",
            now=NOW,
        )
        pending_id = pending.id
    stranger = make_session_factory(engine, Cipher([generate_key()]))
    with stranger() as session:
        from storage.models import PendingImport

        pending = session.get(PendingImport, pending_id)
        assert pending is not None
        with pytest.raises(DecryptionError):
            payload_of(session, pending)


def test_times_are_stored_aware_and_read_back_in_utc(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        production = _production(session)
        schedule = ImportedSchedule((_scene("1", 29, None), _scene("2", 30, None)), "csv")
        schedule = ImportedSchedule(
            tuple(ImportedScene(**{**s.__dict__, "cast_refs": ()}) for s in schedule.scenes),
            "csv",
        )
        _import(session, production, schedule)
    with session_factory() as session:
        starts = {s.number: s.start_at for s in session.scalars(select(Scene))}
    assert starts["1"].tzinfo is not None
    # 29 March 2026: London moves to BST at 01:00 UTC, so 14:30 local is 13:30 UTC.
    assert starts["1"] == datetime(2026, 3, 29, 13, 30, tzinfo=UTC)
    assert starts["2"] == datetime(2026, 3, 30, 13, 30, tzinfo=UTC)


def test_roles_follow_setup_and_cast(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        production = _production(session)
        apply_roster(
            session,
            production_id=production.id,
            entries=[
                RosterEntry("1", "Lena", "Jane Doe", "UP1"),
                RosterEntry("2", "Max", "Bob", "UP2"),
            ],
        )
        apply_roster(
            session,
            production_id=production.id,
            entries=[RosterEntry("1", "Lena", "Jane Doe", "UP1")],
        )
        assert roles_of(session, production_id=production.id, user_id="UC") == {Role.COORDINATOR}
        assert roles_of(session, production_id=production.id, user_id="UP1") == {Role.PERFORMER}
        assert roles_of(session, production_id=production.id, user_id="UP2") == set()


def test_seal_roundtrip_and_none(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert seal(session, None) is None and unseal(session, None) is None
        token = seal(session, "é ü 日本")
        assert token is not None and unseal(session, token) == "é ü 日本"


def test_a_saved_checklist_is_not_doubled_by_a_concurrent_default_seed(
    session_factory: sessionmaker[Session],
) -> None:
    """One request seeds the default checklist and keeps its transaction open (say, while it
    opens a modal); the coordinator saves a list meanwhile. The save waits for the seed and
    edits it, so the production ends with exactly the saved list."""
    with session_scope(session_factory) as session:
        production_id = _production(session).id
    seeding = session_factory()
    try:
        assert checklist(seeding, production_id)[0].label == "Kissing"
        saved = threading.Event()

        def save() -> None:
            with session_scope(session_factory) as session:
                set_checklist(session, production_id, ["Kissing", "Stage combat"])
            saved.set()

        saver = threading.Thread(target=save)
        saver.start()
        # The save cannot go ahead while the seed is uncommitted.
        assert not saved.wait(0.5)
        seeding.commit()
        saver.join(timeout=30)
        assert saved.is_set()
    finally:
        seeding.close()
    with session_scope(session_factory) as session:
        assert [item.label for item in checklist(session, production_id)] == [
            "Kissing",
            "Stage combat",
        ]
        assert (
            len(list(session.scalars(select(ChecklistItem)))) == 7
        )  # the other defaults kept, inactive


def test_database_and_key_files_are_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "closedset.db"
    settings = load_settings({"DATABASE_URL": f"sqlite:///{database}"}, need_slack=False)
    make_engine(settings.database_url).dispose()
    load_cipher(settings)
    key = key_file_for(database)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.chmod(0o644)
    with pytest.raises(ConfigError, match=f"chmod 600 {key}"):
        load_cipher(settings)


def test_delivery_keys_are_stored_hashed(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        production = _production(session)
        key = "pause:7:U0PERF0001:1"
        assert send_now(
            session,
            key=key,
            production_id=production.id,
            kind=DeliveryKind.PAUSE,
            recipient="UC",
            now=NOW,
        )
        assert not send_now(
            session,
            key=key,
            production_id=production.id,
            kind=DeliveryKind.PAUSE,
            recipient="UC",
            now=NOW,
        )
        stored = session.scalars(select(Delivery.key)).all()
        assert stored == [opaque_key(session, key)] and "U0PERF0001" not in stored[0]
        assert delivery_ids(session, [key]).keys() == {key}


def test_profile_names_from_the_roster_are_checked(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        production = _production(session)
        entry = RosterEntry("1", "Lena", "Jane Doe", "UP1", "jd", real_name="Janet Doe")
        apply_roster(session, production_id=production.id, entries=[replace(entry)])
        refreshed = replace(entry, display_name="Jay (she/her)")
        apply_roster(session, production_id=production.id, entries=[refreshed])
        (who,) = identities(session, production.id)
        assert (who.display_name, who.other_names) == ("Jay (she/her)", ("Janet Doe",))
        found = check_request("robes for jay and janet", [who], scene_cast=None)
        assert [f.text for f in found.refusals] == ["jay", "janet"]
