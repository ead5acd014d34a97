"""Button clicks."""

from __future__ import annotations

from slack_bolt import App

from bot.ids import (
    AdAction,
    BoundaryAction,
    CheckinAction,
    ClosureAction,
    CoordinatorAction,
    HomeAction,
    ImportAction,
    RequestAction,
    ScheduleAction,
)
from handlers.actions import (
    ad,
    boundaries,
    checkin,
    closure,
    coordinator,
    home,
    import_decision,
    requests,
    schedule_page,
    stale,
)
from handlers.routing import Routes, register_actions


def register(app: App) -> None:
    routes = Routes()
    routes.add(ImportAction.APPLY, import_decision.apply)
    routes.add(ImportAction.CANCEL, import_decision.cancel)
    routes.add_prefix(f"{ScheduleAction.PAGE}_", schedule_page.handle)
    routes.add(BoundaryAction.REVIEW, boundaries.review)
    routes.add(BoundaryAction.CHANGES, boundaries.changes)
    routes.add(BoundaryAction.TALK, boundaries.talk_clicked)
    routes.add(BoundaryAction.WITHDRAW, boundaries.withdraw_clicked)
    routes.add(CoordinatorAction.VIEW_ANSWER, coordinator.answer_clicked)
    routes.add(CoordinatorAction.VIEW_STATUS, coordinator.status_clicked)
    routes.add(CoordinatorAction.VIEW_FAILURE, coordinator.failure_clicked)
    routes.add(CoordinatorAction.VIEW_NOTE, requests.view_note_clicked)
    routes.add(CoordinatorAction.SIGN_OFF, coordinator.sign_off_clicked)
    routes.add(CoordinatorAction.TAKE_BACK, coordinator.take_back_clicked)
    routes.add(AdAction.SNOOZE, ad.snooze_clicked)
    routes.add(AdAction.DONE, ad.done_clicked)
    for action in HomeAction:
        routes.add(action, home.clicked)
    routes.add(CheckinAction.GOOD, checkin.good_clicked)
    routes.add(CheckinAction.ADJUST, checkin.adjust_clicked)
    routes.add(CheckinAction.PAUSE, checkin.pause_clicked)
    routes.add(CheckinAction.VIEW, checkin.view_clicked)
    routes.add(ClosureAction.OK, closure.ok_clicked)
    routes.add(ClosureAction.NOT_OK, closure.not_ok_clicked)
    routes.add(ClosureAction.TALK, closure.talk_clicked)
    routes.add(CoordinatorAction.VIEW_CLOSURE, closure.view_clicked)
    routes.add(CoordinatorAction.START_CHECKIN, closure.start_checkin_clicked)
    routes.add(CoordinatorAction.WRAP, closure.wrap_clicked)
    routes.add(CoordinatorAction.TURN_INTO_REQUEST, requests.turn_into_request_clicked)
    routes.add(RequestAction.ACKNOWLEDGE, requests.acknowledge_clicked)
    routes.add(RequestAction.REMIND, requests.remind_clicked)
    routes.add(RequestAction.EDIT, requests.edit_clicked)
    routes.add(RequestAction.WITHDRAW, requests.withdraw_clicked)
    routes.add(RequestAction.NOTE, requests.note_clicked)
    # Any other action id is acknowledged, not a 404.
    routes.fallback(stale.handle)
    register_actions(app, routes)
