"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from bot.ids import (
    ChangesView,
    ChecklistView,
    ConfirmView,
    EditRequestView,
    NoteView,
    RequestView,
    SceneView,
    SetupView,
)
from handlers.views import (
    boundaries,
    checklist,
    note,
    request,
    request_edit,
    scene_submit,
    setup_submit,
)


def register(app: App) -> None:
    app.view(SetupView.CALLBACK)(setup_submit.handle)
    app.view(SceneView.CALLBACK)(scene_submit.handle)
    app.view(ConfirmView.CALLBACK)(boundaries.confirm)
    app.view(ChangesView.CALLBACK)(boundaries.changes)
    app.view(ChecklistView.CALLBACK)(checklist.handle)
    app.view(RequestView.CALLBACK)(request.handle)
    app.view(EditRequestView.CALLBACK)(request_edit.handle)
    app.view(NoteView.CALLBACK)(note.handle)
