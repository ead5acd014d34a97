"""`bot.roles` on a real database: who may name coordinators, and which productions are held
(the Slack side is in `test_e2e_roles.py`)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.roles import coordinator_change_refused, role_names, saved_setup, snapshot
from storage import deliveries
from storage.db import session_scope
from storage.models import AuditEvent, Delivery, DeliveryKind, Production, Role
from storage.productions import set_members
from storage.vouches import is_held
from tests.conftest import NOW
from tests.support.world import COORDINATOR, build

ADMIN, STRANGER, AD2 = "U0ADMIN001", "U0STRANGE1", "U0ADAD0002"


def _created(factory: sessionmaker[Session], name: str, by: str) -> int:
    """A production set up through the setup form's path by `by` (see `setup_submit`)."""
    world = build(factory, now=NOW, name=name, coordinators=(by,), plan=False)
    with session_scope(factory) as session:
        production = session.get(Production, world.production_id)
        assert production is not None
        saved_setup(
            session, production=production, created=True, before=frozenset(), by=by, now=NOW
        )
        deliveries.sync_production(session, production, now=NOW)
    return world.production_id


@pytest.mark.parametrize(
    ("user_id", "coordinators", "refused"),
    [
        pytest.param(COORDINATOR, (COORDINATOR, ADMIN), False, id="a coordinator adds one"),
        pytest.param(ADMIN, (COORDINATOR, ADMIN), True, id="an admin makes themselves one"),
        pytest.param(ADMIN, (AD2,), True, id="an admin replaces the coordinator"),
        pytest.param(ADMIN, (COORDINATOR,), False, id="an admin leaves the list as it is"),
    ],
)
def test_only_a_coordinator_changes_the_coordinators(
    session_factory: sessionmaker[Session],
    user_id: str,
    coordinators: tuple[str, ...],
    refused: bool,
) -> None:
    world = build(session_factory, now=NOW, plan=False)
    with session_scope(session_factory) as session:
        production = session.get(Production, world.production_id)
        assert production is not None
        why = coordinator_change_refused(
            session, production=production, user_id=user_id, coordinators=coordinators
        )
    assert (why is not None) is refused


def test_an_admin_may_name_a_coordinator_when_none_is_left(
    session_factory: sessionmaker[Session],
) -> None:
    world = build(session_factory, now=NOW, plan=False)
    with session_scope(session_factory) as session:
        set_members(session, production_id=world.production_id, role=Role.COORDINATOR, user_ids=())
        production = session.get(Production, world.production_id)
        assert production is not None
        assert (
            coordinator_change_refused(
                session, production=production, user_id=ADMIN, coordinators=(ADMIN,)
            )
            is None
        )


def test_the_first_production_and_those_its_coordinators_start_are_vouched_for(
    session_factory: sessionmaker[Session],
) -> None:
    first = _created(session_factory, "Night Shift", COORDINATOR)
    second = _created(session_factory, "Day Shift", COORDINATOR)
    look_alike = _created(session_factory, "Night Shift 2", STRANGER)
    by_the_stranger = _created(session_factory, "Night Shift 3", STRANGER)  # held vouches not
    with session_scope(session_factory) as session:
        assert [
            is_held(session, production_id=p) for p in (first, second, look_alike, by_the_stranger)
        ] == [False, False, True, True]
        asking = session.scalars(
            select(Delivery.kind).where(Delivery.production_id == look_alike)
        ).all()
        told = session.scalars(
            select(Delivery.recipient).where(
                Delivery.production_id == look_alike, Delivery.kind == DeliveryKind.HELD
            )
        ).all()
    # Its scene in five days: AD reminders and the notice that it is held; no prompt or nudge
    # to its performers, and no escalation about them to its coordinator.
    assert DeliveryKind.PROMPT not in asking and DeliveryKind.NUDGE not in asking
    assert DeliveryKind.ESCALATION not in asking
    assert DeliveryKind.AD_REMINDER in asking
    assert told == [STRANGER]


def test_a_trusted_coordinator_saving_its_setup_vouches_for_a_held_production(
    session_factory: sessionmaker[Session],
) -> None:
    _created(session_factory, "Night Shift", COORDINATOR)
    look_alike = _created(session_factory, "Night Shift 2", STRANGER)
    with session_scope(session_factory) as session:
        production = session.get(Production, look_alike)
        assert production is not None
        for by in (STRANGER, COORDINATOR):  # its creator saving it again changes nothing
            before = snapshot(session, look_alike)
            saved_setup(
                session, production=production, created=False, before=before, by=by, now=NOW
            )
        deliveries.sync_production(session, production, now=NOW)
        assert not is_held(session, production_id=look_alike)
        assert (production.vouched_by, production.vouched_at) == (COORDINATOR, NOW)
        asking = session.scalars(
            select(Delivery.recipient).where(
                Delivery.production_id == look_alike, Delivery.kind == DeliveryKind.PROMPT
            )
        ).all()
    assert sorted(asking) == ["U0PERF0001", "U0PERF0002"]


def test_the_hold_outlives_the_audit_trail(session_factory: sessionmaker[Session]) -> None:
    """Retention purges old audit events: the hold is the production's, not the events'."""
    _created(session_factory, "Night Shift", COORDINATOR)
    look_alike = _created(session_factory, "Night Shift 2", STRANGER)
    with session_scope(session_factory) as session:
        session.execute(delete(AuditEvent))
    with session_scope(session_factory) as session:
        assert is_held(session, production_id=look_alike)


def test_role_names_read_as_words() -> None:
    assert role_names(["performer"]) == "performer"
    assert role_names(["ad", "admin"]) == "assistant director and admin"
    assert role_names(["coordinator", "ad", "admin"]) == "coordinator, assistant director and admin"
