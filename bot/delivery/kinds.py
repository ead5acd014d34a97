"""What a planned message is and where it stands: domain values, stored by value by
`storage.models.Delivery`, planned by `bot.delivery.plan`."""

from __future__ import annotations

import enum


class DeliveryKind(enum.StrEnum):
    PROMPT = "prompt"  # performer: please review and confirm
    NUDGE = "nudge"  # performer: a reminder, once
    ESCALATION = "escalation"  # coordinator: confirmations still missing
    SHORT_NOTICE = "short_notice"  # coordinator: performers were asked inside the lead
    LAPSED = "lapsed"  # performer: the scene changed, your answer no longer holds
    REMOVED = "removed"  # performer: the scene is off the schedule
    ANSWER = "answer"  # coordinator: a performer answered (who and what: in the modal)
    NOTE = "note"  # coordinator: a performer wrote a private note (in the modal)
    REQUEST = "request"  # a department channel: a coordinator request
    AD_REMINDER = "ad_reminder"  # the AD channel or an AD: a scene is coming up
    AD_CANCELLED = "ad_cancelled"  # the same: a scene they were reminded of is off
    DIGEST = "digest"  # the same: tomorrow's intimate scenes
    CHECKIN = "checkin"  # performer: a one-tap on-set check-in
    CHECKIN_LIVE = "checkin_live"  # coordinator: the round's live counts
    PAUSE = "pause"  # coordinator: a performer asked for a pause (who: in the modal)
    CLOSURE = "closure"  # performer: how did the scene go?
    CLOSURE_ANSWER = "closure_answer"  # coordinator: a closure answer came in (in the modal)
    UNDELIVERABLE = "undeliverable"  # coordinator: a message could not be delivered
    ROLE_ADDED = "role_added"  # someone added to a production: by whom, "This isn't right"
    ROLE_CHANGE = "role_change"  # coordinator: who was added or removed, and by whom
    HELD = "held"  # coordinator: performers are asked nothing until the production is vouched
    ERASE_REQUEST = "erase_request"  # coordinator: a performer asks for erasure (who: on Home)
    ERASED = "erased"  # performer: the coordinator erased their data in a production


class DeliveryStatus(enum.StrEnum):
    PLANNED = "planned"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"  # Slack refused for good; a coordinator was told
    CANCELLED = "cancelled"  # the plan changed before it was due
    SKIPPED = "skipped"  # due, but no longer useful (scene started, already answered)


ASKING_KINDS = (DeliveryKind.PROMPT, DeliveryKind.NUDGE, DeliveryKind.LAPSED)
"""The messages that ask a performer to answer (and say so once they have)."""
