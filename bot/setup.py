"""The production setup form: what it holds and how it is checked, without Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from bot.durations import format_duration, parse_duration
from bot.ids import SetupView
from bot.reminders import DEFAULT_DIGEST, DEFAULT_OFFSETS, format_offsets, parse_offsets
from bot.timeutil import zone_or_none

MAX_NAME = 80
MAX_CLOSED_SET_TEXT = 500
CLOSED_SET_TEXT = (
    "Closed set: essential crew only, monitors restricted, no stills or personal recording "
    "devices, robes ready between takes."
)


@dataclass(frozen=True)
class SetupForm:
    """The raw answers of the setup modal (strings as typed; ids as picked)."""

    name: str = ""
    zone: str = ""
    coordinators: tuple[str, ...] = ()
    ads: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    ad_channel: str | None = None
    lead: str = "48h"
    nudge: str = "24h"
    escalation: str = "12h"
    default_call: str = "07:00"
    intimacy_category: str = ""
    tolerance: str = "1h"
    departments: tuple[str, ...] = ()
    quiet: str = "15m"
    reminders: str = DEFAULT_OFFSETS
    reminders_by_dm: bool = False
    digest_at: str = "18:00"
    closed_set_text: str = CLOSED_SET_TEXT
    checkin_window: str = "5m"
    closure_after: str = "4h"
    retention: str = "30"
    """Days content is kept after the last shoot day (see `storage.purge`)."""
    date_order: str = "ask"
    """How a schedule's slashed dates are read when the file does not settle it: "dmy", "mdy",
    or "ask" (uploads ask; the command line follows the time zone)."""


DATE_ORDERS = ("ask", "dmy", "mdy")
RETENTION_DAYS = 30
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 1, 3650


@dataclass(frozen=True)
class ProductionSetup:
    """A checked setup, ready to store."""

    name: str
    zone: str
    coordinators: tuple[str, ...]
    ads: tuple[str, ...]
    admins: tuple[str, ...]
    ad_channel: str | None
    lead: timedelta
    nudge: timedelta
    escalation: timedelta
    default_call: time
    intimacy_category: str | None
    tolerance: timedelta = timedelta(hours=1)
    """A scene moved further than this needs the performers' confirmation again."""
    departments: tuple[str, ...] = ()
    """Department channels offered first for coordinator requests."""
    quiet: timedelta = timedelta(minutes=15)
    """A request about a scene a performer answered within this long is offered a hold-back."""
    reminders: str = DEFAULT_OFFSETS
    """AD reminder offsets, as checked and normalized (see `bot.reminders`)."""
    reminders_by_dm: bool = False
    digest_at: time = DEFAULT_DIGEST
    closed_set_text: str = CLOSED_SET_TEXT
    checkin_window: timedelta = timedelta(minutes=5)
    """A check-in prompt left unanswered this long shows as "no answer"."""
    closure_after: timedelta = timedelta(hours=4)
    """A scene counts as wrapped this long after its start (closure questions go)."""
    retention_days: int = RETENTION_DAYS
    """Answers, notes and planned content are kept this many days after the last shoot day."""
    date_order: str | None = None
    """"dmy" or "mdy"; None: not chosen (see `SetupForm.date_order`)."""


def check_setup(form: SetupForm) -> tuple[ProductionSetup | None, dict[str, str]]:
    """Validate the form. Returns the setup, or None and an error per block id."""
    errors: dict[str, str] = {}
    name = " ".join(form.name.split())
    if not name:
        errors[SetupView.NAME] = "Give the production a name."
    elif len(name) > MAX_NAME:
        errors[SetupView.NAME] = f"Keep the name under {MAX_NAME} characters."
    if zone_or_none(form.zone) is None:
        errors[SetupView.ZONE] = (
            f"'{form.zone.strip()}' is not a time zone. Use an IANA name such as "
            "Europe/London or America/Los_Angeles."
        )
    if not form.coordinators:
        errors[SetupView.COORDINATORS] = "A production needs at least one coordinator."
    durations: dict[str, timedelta] = {}
    for block, text in (
        (SetupView.LEAD, form.lead),
        (SetupView.NUDGE, form.nudge),
        (SetupView.ESCALATION, form.escalation),
    ):
        try:
            durations[block] = parse_duration(text)
        except ValueError as error:
            errors[block] = str(error)
    lead = durations.get(SetupView.LEAD)
    if lead is not None:
        for block, label in ((SetupView.NUDGE, "nudge"), (SetupView.ESCALATION, "escalation")):
            value = durations.get(block)
            if value is not None and value >= lead:
                errors[block] = (
                    f"The {label} must come after the first message, so it must be shorter "
                    f"than the lead time ({format_duration(lead)})."
                )
    try:
        tolerance = parse_duration(form.tolerance.strip() or "1h")
    except ValueError as error:
        errors[SetupView.TOLERANCE] = str(error)
    try:
        quiet = parse_duration(form.quiet.strip() or "15m")
    except ValueError as error:
        errors[SetupView.QUIET] = str(error)
    try:
        reminders = format_offsets(parse_offsets(form.reminders))
    except ValueError as error:
        errors[SetupView.REMINDERS] = str(error)
    try:
        digest_at = time.fromisoformat(form.digest_at) if form.digest_at else DEFAULT_DIGEST
    except ValueError:
        errors[SetupView.DIGEST] = "Pick a time such as 18:00."
    spans: dict[str, timedelta] = {}
    for block, text, default in (
        (SetupView.CHECKIN_WINDOW, form.checkin_window, "5m"),
        (SetupView.CLOSURE_AFTER, form.closure_after, "4h"),
    ):
        try:
            spans[block] = parse_duration(text.strip() or default)
        except ValueError as error:
            errors[block] = str(error)
    retention = _retention_days(form.retention, errors)
    closed_set_text = " ".join(form.closed_set_text.split()) or CLOSED_SET_TEXT
    if len(closed_set_text) > MAX_CLOSED_SET_TEXT:
        errors[SetupView.CLOSED_SET_TEXT] = f"Keep it under {MAX_CLOSED_SET_TEXT} characters."
    if form.date_order not in DATE_ORDERS:
        errors[SetupView.DATE_ORDER] = "Pick how dates are read."
    try:
        call = time.fromisoformat(form.default_call)
    except ValueError:
        errors[SetupView.CALL] = "Pick a call time such as 07:00."
        call = time(7, 0)
    if errors:
        return None, errors
    return (
        ProductionSetup(
            name=name,
            zone=form.zone.strip(),
            coordinators=form.coordinators,
            ads=form.ads,
            admins=form.admins,
            ad_channel=form.ad_channel,
            lead=durations[SetupView.LEAD],
            nudge=durations[SetupView.NUDGE],
            escalation=durations[SetupView.ESCALATION],
            default_call=call,
            intimacy_category=form.intimacy_category.strip() or None,
            tolerance=tolerance,
            departments=tuple(dict.fromkeys(form.departments)),
            quiet=quiet,
            reminders=reminders,
            reminders_by_dm=form.reminders_by_dm,
            digest_at=digest_at,
            closed_set_text=closed_set_text,
            checkin_window=spans[SetupView.CHECKIN_WINDOW],
            closure_after=spans[SetupView.CLOSURE_AFTER],
            retention_days=retention,
            date_order=None if form.date_order == "ask" else form.date_order,
        ),
        {},
    )


def _retention_days(text: str, errors: dict[str, str]) -> int:
    """A whole number of days, 1 to 3650 (ten years); empty means the default."""
    raw = text.strip().removesuffix("days").removesuffix("day").removesuffix("d").strip()
    if not raw:
        return RETENTION_DAYS
    if raw.isdigit() and MIN_RETENTION_DAYS <= int(raw) <= MAX_RETENTION_DAYS:
        return int(raw)
    errors[SetupView.RETENTION] = (
        f"Give a number of days from {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}, like 30."
    )
    return RETENTION_DAYS
