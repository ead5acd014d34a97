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
    TOLERANCE = "move_tolerance"


class SceneView(StrEnum):
    CALLBACK = "scene_submit"
    INTIMACY = "intimacy"
    CONTENT = "planned_content"
    CLOSED_SET = "closed_set"
    START = "start_time"


# Inside each input block the element's action_id is "value": the block_id says what it is.
VALUE = "value"


class BoundaryAction(StrEnum):
    """Buttons in a performer's DM (values: `pack("prompt", s=scene, r=revision)`)."""

    REVIEW = "boundary_review"
    CHANGES = "boundary_changes"
    TALK = "boundary_talk"
    WITHDRAW = "boundary_withdraw"


class CoordinatorAction(StrEnum):
    VIEW_ANSWER = "coordinator_view_answer"
    VIEW_FAILURE = "coordinator_view_failure"
    VIEW_STATUS = "coordinator_view_status"


class ConfirmView(StrEnum):
    CALLBACK = "boundary_confirm"


class ChangesView(StrEnum):
    CALLBACK = "boundary_changes_submit"
    NOTE = "note"
    ITEM = "item_"  # + the checklist item's id


class ChecklistView(StrEnum):
    CALLBACK = "checklist_submit"
    ITEMS = "items"
