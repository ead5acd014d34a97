"""Button clicks."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.ids import (
    AdAction,
    AuditAction,
    BoundaryAction,
    CheckinAction,
    ClosureAction,
    CoordinatorAction,
    HomeAction,
    ImportAction,
    MyDataAction,
    RequestAction,
    RoleAction,
    ScheduleAction,
    TodoAction,
)
from handlers.actions import (
    ad,
    audit,
    boundaries,
    checkin,
    closure,
    coordinator,
    date_order,
    home,
    import_decision,
    mydata,
    purge,
    requests,
    roles,
    schedule_page,
    stale,
    todo,
)


def register(app: App) -> None:
    app.action(ImportAction.APPLY)(import_decision.apply)
    app.action(ImportAction.CANCEL)(import_decision.cancel)
    app.action(ImportAction.DAY_FIRST)(date_order.day_first)
    app.action(ImportAction.MONTH_FIRST)(date_order.month_first)
    app.action(re.compile(rf"^{re.escape(ScheduleAction.PAGE)}_"))(schedule_page.handle)
    app.action(BoundaryAction.REVIEW)(boundaries.review)
    app.action(BoundaryAction.CHANGES)(boundaries.changes)
    app.action(BoundaryAction.TALK)(boundaries.talk_clicked)
    app.action(BoundaryAction.WITHDRAW)(boundaries.withdraw_clicked)
    app.action(CoordinatorAction.VIEW_ANSWER)(coordinator.answer_clicked)
    app.action(CoordinatorAction.VIEW_STATUS)(coordinator.status_clicked)
    app.action(CoordinatorAction.VIEW_FAILURE)(coordinator.failure_clicked)
    app.action(CoordinatorAction.VIEW_NOTE)(requests.view_note_clicked)
    app.action(CoordinatorAction.SIGN_OFF)(coordinator.sign_off_clicked)
    app.action(CoordinatorAction.TAKE_BACK)(coordinator.take_back_clicked)
    app.action(AdAction.SNOOZE)(ad.snooze_clicked)
    app.action(AdAction.DONE)(ad.done_clicked)
    for action in HomeAction:
        app.action(action)(home.clicked)
    app.action(CheckinAction.GOOD)(checkin.good_clicked)
    app.action(CheckinAction.ADJUST)(checkin.adjust_clicked)
    app.action(CheckinAction.PAUSE)(checkin.pause_clicked)
    app.action(CheckinAction.VIEW)(checkin.view_clicked)
    app.action(ClosureAction.OK)(closure.ok_clicked)
    app.action(ClosureAction.NOT_OK)(closure.not_ok_clicked)
    app.action(ClosureAction.TALK)(closure.talk_clicked)
    app.action(CoordinatorAction.VIEW_CLOSURE)(closure.view_clicked)
    app.action(CoordinatorAction.START_CHECKIN)(closure.start_checkin_clicked)
    app.action(CoordinatorAction.WRAP)(closure.wrap_clicked)
    app.action(CoordinatorAction.PURGE)(purge.purge_clicked)
    app.action(CoordinatorAction.TURN_INTO_REQUEST)(requests.turn_into_request_clicked)
    app.action(RequestAction.ACKNOWLEDGE)(requests.acknowledge_clicked)
    app.action(RequestAction.REMIND)(requests.remind_clicked)
    app.action(RequestAction.EDIT)(requests.edit_clicked)
    app.action(RequestAction.WITHDRAW)(requests.withdraw_clicked)
    app.action(RequestAction.NOTE)(requests.note_clicked)
    app.action(RoleAction.NOT_RIGHT)(roles.not_right_clicked)
    app.action(TodoAction.INTIMATE)(todo.intimate_clicked)
    app.action(TodoAction.NOT_INTIMATE)(todo.not_intimate_clicked)
    app.action(TodoAction.IN_PERSON)(todo.in_person_clicked)
    for audit_action in AuditAction:
        app.action(audit_action)(audit.clicked)
    app.action(MyDataAction.OPEN)(mydata.open_clicked)
    app.action(MyDataAction.PAGE)(mydata.page_clicked)
    app.action(MyDataAction.DELETE_NOTES)(mydata.delete_notes_clicked)
    app.action(MyDataAction.ASK_ERASE)(mydata.ask_erasure_clicked)
    app.action(MyDataAction.ERASE)(mydata.erase_clicked)
    # Last: any other action id (a button of an old version) is acknowledged, not a 404.
    app.action(re.compile(".*"))(stale.handle)
