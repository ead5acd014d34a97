"""Every action_id, callback_id and block_id the app uses, by surface."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    SLASH = "/closedset"


class ImportAction(StrEnum):
    APPLY = "import_apply"
    CANCEL = "import_cancel"
    DAY_FIRST = "import_day_first"  # the file's dates are day-first (values: pack("import"))
    MONTH_FIRST = "import_month_first"


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
    DEPARTMENTS = "departments"
    QUIET = "quiet_time"
    REMINDERS = "ad_reminders"
    REMINDERS_BY_DM = "ad_reminders_by_dm"
    DIGEST = "digest_at"
    CLOSED_SET_TEXT = "closed_set_text"
    CHECKIN_WINDOW = "checkin_window"
    CLOSURE_AFTER = "closure_after"
    RETENTION = "retention_days"
    DATE_ORDER = "date_order"


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
    VIEW_NOTE = "coordinator_view_note"
    SIGN_OFF = "coordinator_sign_off"
    TAKE_BACK = "coordinator_take_back_sign_off"
    START_CHECKIN = "coordinator_start_checkin"
    WRAP = "coordinator_wrap"
    PURGE = "coordinator_purge_scene"
    VIEW_CLOSURE = "coordinator_view_closure"
    TURN_INTO_REQUEST = "coordinator_note_to_request"


class ConfirmView(StrEnum):
    CALLBACK = "boundary_confirm"


class ChangesView(StrEnum):
    CALLBACK = "boundary_changes_submit"
    NOTE = "note"
    ITEM = "item_"  # + the checklist item's id


class ChecklistView(StrEnum):
    CALLBACK = "checklist_submit"
    ITEMS = "items"


class RequestAction(StrEnum):
    ACKNOWLEDGE = "request_acknowledge"
    REMIND = "request_remind"
    EDIT = "request_edit"
    WITHDRAW = "request_withdraw"
    NOTE = "note_open"  # a performer's "Note to the coordinator"


class RequestView(StrEnum):
    CALLBACK = "request_submit"
    CHANNELS = "channels"
    SCENE = "scene"
    TEXT = "text"
    POST_AT = "post_at"
    PING = "allow_ping"
    CONFIRM = "confirm"  # "post anyway" after warnings
    STANDING = "standing"  # small cast: post without the scene
    HOLD = "hold"  # timing: hold back or post now


class EditRequestView(StrEnum):
    CALLBACK = "request_edit_submit"
    TEXT = "text"


class NoteView(StrEnum):
    CALLBACK = "note_submit"
    SCENE = "scene"
    TEXT = "text"


class AdAction(StrEnum):
    """Buttons on an AD reminder (values: `pack("adrem", d=delivery id)`)."""

    SNOOZE = "ad_snooze"
    DONE = "ad_done"


class HomeAction(StrEnum):
    PAGE = "home_page"
    REQUEST = "home_request"
    CHECKLIST = "home_checklist"
    SETUP = "home_setup"


class TodoAction(StrEnum):
    """A coordinator's to-dos on the Home tab (values: `pack("todo", s=scene id)`, and
    `c=cast number` for IN_PERSON)."""

    INTIMATE = "todo_intimate"
    NOT_INTIMATE = "todo_not_intimate"
    IN_PERSON = "todo_in_person"


class RoleAction(StrEnum):
    """On the DM telling someone they were added to a production (values:
    `pack("role", d=delivery id)`)."""

    NOT_RIGHT = "role_not_right"


class CheckinAction(StrEnum):
    """A performer's taps (values: `pack("checkin", r=round id)`), and the coordinator's View."""

    GOOD = "checkin_good"
    ADJUST = "checkin_adjust"
    PAUSE = "checkin_pause"
    VIEW = "checkin_view"


class ClosureAction(StrEnum):
    """A performer's closure answer (values: `pack("closure", s=scene id)`)."""

    OK = "closure_ok"
    NOT_OK = "closure_not_ok"
    TALK = "closure_talk"


class AuditAction(StrEnum):
    """The audit log modal's filters and pages; the modal's state is its `private_metadata`
    (`pack("audit", p=production, t=newest event id, o=offset, s=scene id or 0, u=user or "")`)."""

    SCENE = "audit_scene"
    PERSON = "audit_person"
    NEWER = "audit_newer"
    OLDER = "audit_older"
    CLEAR = "audit_clear"


class AuditModal(StrEnum):
    """The audit log modal: read only (no submit button, so no submission listener)."""

    CALLBACK = "audit_log"
    FILTERS = "audit_filters"
    PAGES = "audit_pages"


class MyDataAction(StrEnum):
    """A performer's own data (`/closedset mydata`, its modal: values `pack("mydata",
    page=n)`), and the coordinator's Erase to-do on Home (values: `pack("erase", e=the
    request's audit event id)`)."""

    OPEN = "mydata_open"
    PAGE = "mydata_page"
    DELETE_NOTES = "mydata_delete_notes"
    ASK_ERASE = "mydata_ask_erase"
    ERASE = "mydata_erase"
