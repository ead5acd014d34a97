"""The production setup modal."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserMultiSelectElement,
)
from slack_sdk.models.blocks.block_elements import (
    ConversationFilter,
    ConversationMultiSelectElement,
    ConversationSelectElement,
)
from slack_sdk.models.views import View

from bot.ids import VALUE, SetupView
from bot.setup import MAX_NAME, SetupForm
from bot.text import mrkdwn_escape


def _text(
    block: str,
    label: str,
    value: str,
    *,
    hint: str | None = None,
    optional: bool = False,
    max_length: int = 120,
) -> InputBlock:
    return InputBlock(
        block_id=block,
        label=label,
        element=PlainTextInputElement(
            action_id=VALUE, initial_value=value or None, max_length=max_length
        ),
        hint=hint,
        optional=optional,
    )


def _users(block: str, label: str, users: tuple[str, ...], *, optional: bool) -> InputBlock:
    return InputBlock(
        block_id=block,
        label=label,
        element=UserMultiSelectElement(action_id=VALUE, initial_users=list(users) or None),
        optional=optional,
    )


_DATE_ORDERS = {
    "ask": "Ask me when a file could be read either way",
    "dmy": "Day first: 03/04/2027 is 3 April",
    "mdy": "Month first: 03/04/2027 is March 4",
}


def _date_order(chosen: str) -> InputBlock:
    options = [Option(value=value, text=text) for value, text in _DATE_ORDERS.items()]
    return InputBlock(
        block_id=SetupView.DATE_ORDER,
        label="Dates in schedule files",
        element=StaticSelectElement(
            action_id=VALUE,
            options=options,
            initial_option=next((o for o in options if o.value == chosen), options[0]),
        ),
        hint="For dates like 03/04/2027 when the file does not settle it. The command line "
        "reads them as the time zone's country does (month first in the US) unless told.",
        optional=True,
    )


def setup_modal(form: SetupForm, *, metadata: str, creating: bool) -> dict[str, Any]:
    title = "New production" if creating else "Production setup"
    by_dm = Option(value="yes", text="To each AD by DM instead of the AD channel")
    blocks = [
        _text(SetupView.NAME, "Production name", form.name, max_length=MAX_NAME),
        _text(
            SetupView.ZONE,
            "Time zone",
            form.zone,
            hint="Where you shoot, as an IANA name: Europe/London, America/Los_Angeles…",
            max_length=64,
        ),
        _users(SetupView.COORDINATORS, "Intimacy coordinators", form.coordinators, optional=False),
        _users(SetupView.ADS, "Assistant directors", form.ads, optional=True),
        InputBlock(
            block_id=SetupView.AD_CHANNEL,
            label="AD channel",
            element=ConversationSelectElement(
                action_id=VALUE,
                initial_conversation=form.ad_channel,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
            hint="Where AD reminders go. Invite the bot to it.",
            optional=True,
        ),
        _users(
            SetupView.ADMINS,
            "Admins (settings and audit log, not answers)",
            form.admins,
            optional=True,
        ),
        _text(
            SetupView.LEAD,
            "Boundary check: how long before the scene",
            form.lead,
            hint="Like 48h, 2d, 90m or 1d 6h. Union practice is at least 48h.",
            max_length=20,
        ),
        _text(
            SetupView.NUDGE,
            "Nudge non-responders this long before",
            form.nudge,
            hint="Shorter than the lead time.",
            max_length=20,
        ),
        _text(
            SetupView.ESCALATION,
            "Tell the coordinator if still missing this long before",
            form.escalation,
            hint="Shorter than the lead time.",
            max_length=20,
        ),
        InputBlock(
            block_id=SetupView.DEPARTMENTS,
            label="Department channels",
            element=ConversationMultiSelectElement(
                action_id=VALUE,
                initial_conversations=list(form.departments) or None,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                max_selected_items=10,
            ),
            hint="Offered first for coordinator requests (wardrobe, camera, sound…). Invite the "
            "bot to private ones.",
            optional=True,
        ),
        _text(
            SetupView.QUIET,
            "Offer to hold a request back if a performer answered within",
            form.quiet,
            hint="So a request does not line up with a performer's answer. Like 15m or 1h.",
            max_length=20,
            optional=True,
        ),
        _text(
            SetupView.TOLERANCE,
            "Ask again if a scene moves by more than",
            form.tolerance,
            hint="A scene moved further than this needs its performers' confirmation again. "
            "Any change to what is planned always does.",
            max_length=20,
            optional=True,
        ),
        _text(
            SetupView.REMINDERS,
            "AD reminders before each intimate scene",
            form.reminders,
            hint="Durations before the start or clock times, comma-separated: "
            "18:00 evening before, 2h, 30m (07:30 same day works too). Empty: none.",
            max_length=200,
            optional=True,
        ),
        InputBlock(
            block_id=SetupView.REMINDERS_BY_DM,
            label="Send AD reminders",
            element=CheckboxesElement(
                action_id=VALUE,
                options=[by_dm],
                initial_options=[by_dm] if form.reminders_by_dm else None,
            ),
            optional=True,
        ),
        InputBlock(
            block_id=SetupView.DIGEST,
            label="Daily digest of the next day's intimate scenes, at",
            element=TimePickerElement(action_id=VALUE, initial_time=form.digest_at),
            optional=True,
        ),
        _text(
            SetupView.CLOSED_SET_TEXT,
            "Closed-set instructions in AD reminders",
            form.closed_set_text,
            max_length=500,
            optional=True,
        ),
        _text(
            SetupView.CHECKIN_WINDOW,
            "Check-in: show 'no answer' after",
            form.checkin_window,
            hint="How long a take's check-in waits for answers. Like 5m.",
            max_length=20,
            optional=True,
        ),
        _text(
            SetupView.CLOSURE_AFTER,
            "Closure: ask how it went this long after the start",
            form.closure_after,
            hint="Unless the coordinator marks the scene wrapped earlier. Like 4h.",
            max_length=20,
            optional=True,
        ),
        _text(
            SetupView.RETENTION,
            "Keep answers, notes and planned content for (days after the last shoot day)",
            form.retention,
            hint="Then they are deleted for good; scenes, sign-offs and the audit log stay. "
            "1 to 3650 days; 30 if empty.",
            max_length=10,
            optional=True,
        ),
        InputBlock(
            block_id=SetupView.CALL,
            label="Default call time",
            element=TimePickerElement(action_id=VALUE, initial_time=form.default_call),
            hint="Used to estimate start times when a schedule gives none.",
        ),
        _text(
            SetupView.CATEGORY,
            "USS category that marks intimacy (optional)",
            form.intimacy_category,
            hint="Without one, a category called Intimacy (or IC) in the file is used.",
            optional=True,
            max_length=120,
        ),
        _date_order(form.date_order),
        ContextBlock(
            elements=[
                MarkdownTextObject(text="Only coordinators and admins can change these settings.")
            ]
        ),
    ]
    view = View(
        type="modal",
        callback_id=SetupView.CALLBACK,
        title=title,
        submit="Save",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )
    return view.to_dict()


def setup_done_modal(name: str, *, created: bool) -> dict[str, Any]:
    verb = "is set up" if created else "was updated"
    next_steps = (
        f"*{mrkdwn_escape(name)}* {verb}.\n\nNext steps:\n"
        "1. Upload the cast list (CSV or .xlsx) to me in a direct message.\n"
        "2. Upload the shooting schedule (CSV, .xlsx or .uss) the same way; you will see a preview "
        "before anything changes.\n"
        "3. Use `/closedset scene 42A` to set what is planned for an intimate scene.\n"
        "Type `/closedset help` any time."
    )
    view = View(
        type="modal",
        title="Closed Set",
        close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=next_steps))],
    )
    return view.to_dict()
