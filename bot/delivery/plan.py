"""Planning what the app must send about one scene: pure, given the facts and the clock.

For an intimate scene at revision R with performers P and coordinators C the plan is:

- a PROMPT to each performer at `start - lead` (at once if that has passed: then the
  coordinators also get a SHORT_NOTICE, once per revision);
- a NUDGE to each performer at `start - nudge`, unless they have answered at R;
- an ESCALATION to each coordinator at `start - escalation` (it says nothing, and is skipped,
  if every performer has confirmed by then: see `bot.delivery.content`).

Reminders whose time has already passed when first planned are not created late (a nudge or an
escalation minutes after the prompt would be noise); the prompt is always sent, as it is the
request itself. Rows already sent stay as they were: a key is planned once.

When the revision grows (the planned content changed, or the scene moved further than the
production's tolerance) the rows of older revisions that are still waiting are cancelled and
the new revision is planned afresh; a performer who had been asked before is told at once that
their answer lapsed (LAPSED), unless the new prompt goes out at once and says so itself. A scene
that is removed, is no longer intimate, or has started has everything waiting cancelled, and a
performer who had been asked is told it is off (REMOVED).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery.kinds import DeliveryKind, DeliveryStatus
from bot.reminders import Offset, wall_clock

WAITING = (DeliveryStatus.PLANNED, DeliveryStatus.CLAIMED)
DAY = timedelta(days=1)
PERFORMER_KINDS = (DeliveryKind.PROMPT, DeliveryKind.NUDGE)
SCENE_KINDS = (
    DeliveryKind.PROMPT,
    DeliveryKind.NUDGE,
    DeliveryKind.ESCALATION,
    DeliveryKind.SHORT_NOTICE,
    DeliveryKind.LAPSED,
    DeliveryKind.AD_REMINDER,
)


@dataclass(frozen=True)
class Timing:
    lead: timedelta
    nudge: timedelta
    escalation: timedelta
    reminders: tuple[Offset, ...] = ()
    """When ADs are reminded (see `bot.reminders`); clock times are read in `zone`."""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    closure_after: timedelta | None = None
    """How long after its start a scene counts as wrapped (closure prompts); None: never."""


@dataclass(frozen=True)
class SceneFacts:
    scene_id: int
    revision: int
    start_at: datetime
    intimate: bool
    removed: bool
    performers: tuple[str, ...]
    coordinators: tuple[str, ...]
    answered: frozenset[str] = frozenset()
    """Performers with an answer at this revision."""
    changed: frozenset[str] = frozenset()
    """What made the revision grow, when planning right after it did ("content", "time")."""
    ad_recipients: tuple[str, ...] = ()
    """The AD channel, or each AD when the production reminds them by DM."""
    wrapped_at: datetime | None = None
    """When the coordinator marked the scene wrapped, if they did."""


@dataclass(frozen=True)
class Existing:
    key: str
    kind: DeliveryKind
    revision: int
    recipient: str
    status: DeliveryStatus
    due_at: datetime


@dataclass(frozen=True)
class New:
    key: str
    kind: DeliveryKind
    revision: int
    recipient: str
    due_at: datetime
    expires_at: datetime | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    add: list[New] = field(default_factory=list)
    move: dict[str, datetime] = field(default_factory=dict)
    cancel: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.move or self.cancel)


def key(kind: DeliveryKind, scene_id: int, revision: int, recipient: str) -> str:
    return f"{kind.value}:{scene_id}:{revision}:{recipient}"


def plan_scene(
    facts: SceneFacts, timing: Timing, existing: Iterable[Existing], now: datetime
) -> Plan:
    rows = {row.key: row for row in existing}
    plan = Plan()
    active = facts.intimate and not facts.removed and facts.start_at > now
    asked_before = {
        row.recipient
        for row in rows.values()
        if row.kind is DeliveryKind.PROMPT
        and row.status is DeliveryStatus.SENT
        and (row.revision < facts.revision or not active)
    }
    wanted: set[str] = set()
    if active:
        wanted = _plan_active(facts, timing, rows, asked_before, now, plan)
    elif facts.start_at > now:
        # Off the schedule (or no longer intimate) before it happened: one line to the ADs
        # who had been reminded of it, once for this revision...
        reminded = sorted(
            {
                row.recipient
                for row in rows.values()
                if row.kind is DeliveryKind.AD_REMINDER and row.status is DeliveryStatus.SENT
            }
        )
        for recipient in reminded:
            name = key(DeliveryKind.AD_CANCELLED, facts.scene_id, facts.revision, recipient)
            if name not in rows:
                plan.add.append(
                    New(
                        name,
                        DeliveryKind.AD_CANCELLED,
                        facts.revision,
                        recipient,
                        due_at=now,
                        expires_at=facts.start_at,
                        detail={"why": "removed" if facts.removed else "not_intimate"},
                    )
                )
        # ...and to each performer who had been asked.
        for performer in sorted(asked_before):
            name = key(DeliveryKind.REMOVED, facts.scene_id, facts.revision, performer)
            if name not in rows:
                plan.add.append(
                    New(
                        name,
                        DeliveryKind.REMOVED,
                        facts.revision,
                        performer,
                        due_at=now,
                        expires_at=facts.start_at,
                        detail={"why": "removed" if facts.removed else "not_intimate"},
                    )
                )
    for row in rows.values():
        if row.kind in SCENE_KINDS and row.status in WAITING and row.key not in wanted:
            plan.cancel.append(row.key)
    _plan_closure(facts, timing, rows, now, plan)
    return plan


def _plan_closure(
    facts: SceneFacts, timing: Timing, rows: dict[str, Existing], now: datetime, plan: Plan
) -> None:
    """A closure prompt to each performer when the scene is wrapped: when the coordinator
    says so, or `closure_after` after its start. Unlike the rest, these outlive the start."""
    due = facts.wrapped_at or (
        facts.start_at + timing.closure_after if timing.closure_after is not None else None
    )
    wanted: set[str] = set()
    if facts.intimate and not facts.removed and due is not None:
        for performer in facts.performers:
            name = f"{DeliveryKind.CLOSURE.value}:{facts.scene_id}:{performer}"
            wanted.add(name)
            row = rows.get(name)
            if row is None and (due > now or facts.wrapped_at is not None):
                plan.add.append(  # still worth asking for a day
                    New(name, DeliveryKind.CLOSURE, facts.revision, performer, due, due + DAY)
                )
            elif row is not None and row.status is DeliveryStatus.PLANNED and row.due_at != due:
                plan.move[name] = due
    for row in rows.values():
        if row.kind is DeliveryKind.CLOSURE and row.status in WAITING and row.key not in wanted:
            plan.cancel.append(row.key)


def _plan_active(
    facts: SceneFacts,
    timing: Timing,
    rows: dict[str, Existing],
    asked_before: Collection[str],
    now: datetime,
    plan: Plan,
) -> set[str]:
    start, revision, scene = facts.start_at, facts.revision, facts.scene_id
    wanted: set[str] = set()
    asked_at_once = False

    def want(kind: DeliveryKind, recipient: str, due: datetime, **detail: Any) -> str | None:
        """Plan `kind` for `recipient` at `due`; returns the key if newly added."""
        name = key(kind, scene, revision, recipient)
        wanted.add(name)
        row = rows.get(name)
        if row is None:
            plan.add.append(New(name, kind, revision, recipient, due, start, dict(detail)))
            return name
        if row.status is DeliveryStatus.PLANNED and row.due_at != due:
            plan.move[name] = due
        return None

    for performer in facts.performers:
        prompt_due = start - timing.lead
        was_asked = performer in asked_before
        changed = sorted(facts.changed) if was_asked else []
        existing = rows.get(key(DeliveryKind.PROMPT, scene, revision, performer))
        if existing is None and prompt_due <= now:
            asked_at_once = True
        elif existing is not None and existing.status is DeliveryStatus.PLANNED:
            asked_at_once |= prompt_due <= now < existing.due_at
        added = want(DeliveryKind.PROMPT, performer, prompt_due, again=was_asked, changed=changed)
        if added and was_asked and prompt_due > now:
            # The new prompt waits for the lead time: meanwhile, say the old answer lapsed.
            want(DeliveryKind.LAPSED, performer, now, changed=changed)
        nudge_due = start - timing.nudge
        if performer not in facts.answered:
            name = key(DeliveryKind.NUDGE, scene, revision, performer)
            if name in rows or nudge_due > now:
                want(DeliveryKind.NUDGE, performer, nudge_due)
    escalation_due = start - timing.escalation
    for coordinator in facts.coordinators:
        name = key(DeliveryKind.ESCALATION, scene, revision, coordinator)
        if name in rows or escalation_due > now:
            want(DeliveryKind.ESCALATION, coordinator, escalation_due)
        short = key(DeliveryKind.SHORT_NOTICE, scene, revision, coordinator)
        if asked_at_once or short in rows:
            want(
                DeliveryKind.SHORT_NOTICE, coordinator, rows[short].due_at if short in rows else now
            )
    # AD reminders: not tied to the revision (a change to what is planned does not move them).
    for offset in timing.reminders:
        due = offset.due(start, timing.zone)
        for recipient in facts.ad_recipients:
            name = f"{DeliveryKind.AD_REMINDER.value}:{scene}:{offset.label}:{recipient}"
            row = rows.get(name)
            if row is None and due > now:
                wanted.add(name)
                plan.add.append(
                    New(name, DeliveryKind.AD_REMINDER, revision, recipient, due, start)
                )
            elif row is not None:
                wanted.add(name)
                if row.status is DeliveryStatus.PLANNED and row.due_at != due:
                    plan.move[name] = due
    # Rows made once and not re-derived on later passes: a LAPSED notice of this revision,
    # a snoozed AD reminder.
    wanted.update(
        name
        for name, row in rows.items()
        if (row.kind is DeliveryKind.LAPSED and row.revision == revision)
        or name.startswith("snooze:")
    )
    return wanted


def plan_digests(
    *,
    production_id: int,
    days: Iterable[date],
    at: time,
    zone: ZoneInfo,
    recipients: tuple[str, ...],
    existing: Iterable[Existing],
    now: datetime,
) -> Plan:
    """One digest per recipient, the day before each shooting day with an intimate scene, at
    `at` local time (what it lists is read when it is sent)."""
    rows = {row.key: row for row in existing}
    plan = Plan()
    wanted: set[str] = set()
    for day in sorted(set(days)):
        due = wall_clock(day - timedelta(days=1), at, zone)
        for recipient in recipients:
            name = f"{DeliveryKind.DIGEST.value}:{production_id}:{day.isoformat()}:{recipient}"
            row = rows.get(name)
            if row is None and due > now:
                wanted.add(name)
                plan.add.append(
                    New(
                        name,
                        DeliveryKind.DIGEST,
                        0,
                        recipient,
                        due,
                        datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC),
                        {"day": day.isoformat()},
                    )
                )
            elif row is not None:
                wanted.add(name)
                if row.status is DeliveryStatus.PLANNED and row.due_at != due:
                    plan.move[name] = due
    plan.cancel = [
        name for name, row in rows.items() if row.status in WAITING and name not in wanted
    ]
    return plan
