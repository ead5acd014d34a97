"""AD reminder times and their planning: pure, with an injected `now`; DST weeks in two zones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.plan import Existing, SceneFacts, Timing, plan_digests, plan_scene
from bot.reminders import (
    DEFAULT_OFFSETS,
    Offset,
    format_offsets,
    parse_offsets,
    wall_clock,
)
from storage.models import DeliveryKind as K
from storage.models import DeliveryStatus as S

LONDON = ZoneInfo("Europe/London")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_the_default_offsets() -> None:
    offsets = parse_offsets(DEFAULT_OFFSETS)
    assert offsets == [
        Offset(clock=time(18, 0), day_before=True),
        Offset(before=timedelta(hours=2)),
        Offset(before=timedelta(minutes=30)),
    ]
    assert [o.label for o in offsets] == ["1800prev", "2h", "30m"]
    assert format_offsets(offsets) == "18:00 evening before, 2h before, 30m before"
    assert parse_offsets(format_offsets(offsets)) == offsets  # what setup stores reads back


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07:30 same day", [Offset(clock=time(7, 30), day_before=False)]),
        ("19.00 the day before", [Offset(clock=time(19, 0), day_before=True)]),
        ("18:00", [Offset(clock=time(18, 0), day_before=True)]),
        (
            "1d 6h, 45m",
            [Offset(before=timedelta(days=1, hours=6)), Offset(before=timedelta(minutes=45))],
        ),
        ("", []),
        ("3h before", [Offset(before=timedelta(hours=3))]),
    ],
)
def test_offsets_are_parsed(text: str, expected: list[Offset]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "neither a duration"),
        ("25:00 evening before", "not a time of day"),
        ("2h, 120m", "listed twice"),
        ("1h, 2h, 3h, 4h, 5h, 6h, 7h", "At most 6"),
    ],
)
def test_bad_offsets_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_offsets(text)


def test_a_clock_time_stays_on_the_local_clock_across_a_change_in_london() -> None:
    evening = Offset(clock=time(18, 0), day_before=True)
    two_hours = Offset(before=timedelta(hours=2))
    # Clocks go forward on Sunday 29 March 2026 at 01:00 UTC.
    monday = datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)  # BST
    assert evening.due(monday, LONDON) == datetime(2026, 3, 29, 17, 0, tzinfo=UTC)  # 18:00 BST
    sunday = datetime(2026, 3, 29, 10, 0, tzinfo=LONDON)
    assert evening.due(sunday, LONDON) == datetime(2026, 3, 28, 18, 0, tzinfo=UTC)  # 18:00 GMT
    # A duration is real elapsed time: 2 h before 10:00 BST is 08:00 BST, even on the day.
    assert two_hours.due(sunday, LONDON).astimezone(LONDON).hour == 8
    # 02:30 on Sunday morning: 2 h earlier is 23:30 GMT the night before, not 00:30.
    early = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST
    assert two_hours.due(early, LONDON) == datetime(2026, 3, 28, 23, 30, tzinfo=UTC)


def test_a_clock_time_stays_on_the_local_clock_across_a_change_in_los_angeles() -> None:
    evening = Offset(clock=time(18, 0), day_before=True)
    # Clocks go back on Sunday 1 November 2026 at 09:00 UTC.
    monday = datetime(2026, 11, 2, 10, 0, tzinfo=LOS_ANGELES)  # PST
    assert evening.due(monday, LOS_ANGELES) == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert evening.due(monday, LOS_ANGELES).astimezone(LOS_ANGELES).hour == 18
    sunday = datetime(2026, 11, 1, 10, 0, tzinfo=LOS_ANGELES)
    assert evening.due(sunday, LOS_ANGELES) == datetime(2026, 11, 1, 1, 0, tzinfo=UTC)  # PDT


def test_skipped_and_repeated_wall_clock_times() -> None:
    # 01:30 does not exist in London on 29 March 2026: it moves on by the gap's hour.
    skipped = wall_clock(date(2026, 3, 29), time(1, 30), LONDON)
    assert skipped == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert skipped.astimezone(LONDON).strftime("%H:%M") == "02:30"
    # 01:30 happens twice in Los Angeles on 1 November 2026: the first one (PDT).
    repeated = wall_clock(date(2026, 11, 1), time(1, 30), LOS_ANGELES)
    assert repeated == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
TIMING = Timing(
    lead=timedelta(hours=48),
    nudge=timedelta(hours=24),
    escalation=timedelta(hours=12),
    reminders=tuple(parse_offsets(DEFAULT_OFFSETS)),
    zone=LONDON,
)
FACTS = SceneFacts(
    scene_id=7,
    revision=1,
    start_at=START,
    intimate=True,
    removed=False,
    performers=("UA",),
    coordinators=("UC",),
    ad_recipients=("C0ADS",),
)


def reminders(plan: object) -> list[tuple[str, datetime]]:
    return sorted(
        (n.key, n.due_at)
        for n in plan.add  # type: ignore[attr-defined]
        if n.kind is K.AD_REMINDER
    )


def existing(plan: object, **status: S) -> list[Existing]:
    return [
        Existing(n.key, n.kind, n.revision, n.recipient, status.get(n.key, S.PLANNED), n.due_at)
        for n in plan.add  # type: ignore[attr-defined]
    ]


def test_each_offset_plans_a_reminder_for_the_ad_channel() -> None:
    plan = plan_scene(FACTS, TIMING, [], NOW)
    assert reminders(plan) == [
        ("ad_reminder:7:1800prev:C0ADS", datetime(2026, 3, 5, 18, 0, tzinfo=UTC)),
        ("ad_reminder:7:2h:C0ADS", START - timedelta(hours=2)),
        ("ad_reminder:7:30m:C0ADS", START - timedelta(minutes=30)),
    ]
    # Each AD by DM instead: one per AD.
    by_dm = plan_scene(replace(FACTS, ad_recipients=("UAD1", "UAD2")), TIMING, [], NOW)
    assert len(reminders(by_dm)) == 6


def test_reminders_whose_time_passed_are_not_sent_late() -> None:
    plan = plan_scene(FACTS, TIMING, [], START - timedelta(hours=1))
    assert [k for k, _ in reminders(plan)] == ["ad_reminder:7:30m:C0ADS"]


def test_a_moved_scene_moves_its_reminders_and_a_new_revision_does_not() -> None:
    rows = existing(plan_scene(FACTS, TIMING, [], NOW))
    moved = plan_scene(replace(FACTS, start_at=START + timedelta(days=1)), TIMING, rows, NOW)
    assert moved.move["ad_reminder:7:1800prev:C0ADS"] == datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
    assert moved.move["ad_reminder:7:2h:C0ADS"] == START + timedelta(days=1, hours=-2)
    revised = plan_scene(replace(FACTS, revision=2), TIMING, rows, NOW)
    assert not [k for k in revised.cancel if k.startswith("ad_reminder")]
    assert not reminders(revised)


def test_a_removed_scene_cancels_its_reminders_and_says_so_if_one_went_out() -> None:
    first = plan_scene(FACTS, TIMING, [], NOW)
    quiet = plan_scene(replace(FACTS, removed=True), TIMING, existing(first), NOW)
    assert not [n for n in quiet.add if n.kind is K.AD_CANCELLED]
    assert len([k for k in quiet.cancel if k.startswith("ad_reminder")]) == 3
    sent = existing(first, **{"ad_reminder:7:1800prev:C0ADS": S.SENT})
    later = datetime(2026, 3, 5, 19, 0, tzinfo=UTC)
    told = plan_scene(replace(FACTS, removed=True), TIMING, sent, later)
    assert [(n.kind, n.recipient) for n in told.add if n.kind is K.AD_CANCELLED] == [
        (K.AD_CANCELLED, "C0ADS")
    ]


def test_a_snoozed_reminder_is_kept_while_the_scene_is_on() -> None:
    rows = existing(plan_scene(FACTS, TIMING, [], NOW))
    snoozed = Existing("snooze:99:1", K.AD_REMINDER, 1, "C0ADS", S.PLANNED, NOW)
    assert "snooze:99:1" not in plan_scene(FACTS, TIMING, [*rows, snoozed], NOW).cancel
    off = plan_scene(replace(FACTS, removed=True), TIMING, [*rows, snoozed], NOW)
    assert "snooze:99:1" in off.cancel


def test_digests_go_the_evening_before_each_shooting_day() -> None:
    days = [date(2026, 3, 6), date(2026, 3, 29)]  # the second: the day after clocks change
    plan = plan_digests(
        production_id=3,
        days=days,
        at=time(18, 0),
        zone=LONDON,
        recipients=("C0ADS",),
        existing=[],
        now=NOW,
    )
    assert [(n.key, n.due_at) for n in plan.add] == [
        ("digest:3:2026-03-06:C0ADS", datetime(2026, 3, 5, 18, 0, tzinfo=UTC)),
        ("digest:3:2026-03-29:C0ADS", datetime(2026, 3, 28, 18, 0, tzinfo=UTC)),
    ]
    rows = [Existing(n.key, n.kind, n.revision, n.recipient, S.PLANNED, n.due_at) for n in plan.add]
    fewer = plan_digests(
        production_id=3,
        days=days[:1],
        at=time(18, 0),
        zone=LONDON,
        recipients=("C0ADS",),
        existing=rows,
        now=NOW,
    )
    assert fewer.cancel == ["digest:3:2026-03-29:C0ADS"] and not fewer.add
