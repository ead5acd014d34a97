"""Every action_id, callback_id and block_id the app uses, by surface."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    SLASH = "/closedset"


class ImportAction(StrEnum):
    APPLY = "import_apply"
    CANCEL = "import_cancel"


class ScheduleAction(StrEnum):
    PAGE = "schedule_page"


class SetupView(StrEnum):
    CALLBACK = "setup_submit"
    NAME = "name"
    ZONE = "zone"
    COORDINATORS = "coordinators"
    ADS = "ads"
    ADMINS = "admins"
    AD_CHANNEL = "ad_channel"
    LEAD = "lead"
    NUDGE = "nudge"
    ESCALATION = "escalation"
    CALL = "default_call"
    CATEGORY = "intimacy_category"


class SceneView(StrEnum):
    CALLBACK = "scene_submit"
    INTIMACY = "intimacy"
    CONTENT = "planned_content"
    CLOSED_SET = "closed_set"
    START = "start_time"


# Inside each input block the element's action_id is "value": the block_id says what it is.
VALUE = "value"
