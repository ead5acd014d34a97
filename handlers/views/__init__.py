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
from handlers.routing import Routes, register_views
from handlers.views import boundaries, checklist, note, request, scene_submit, setup_submit


def register(app: App) -> None:
    routes = Routes()
    routes.add(SetupView.CALLBACK, setup_submit.handle)
    routes.add(SceneView.CALLBACK, scene_submit.handle)
    routes.add(ConfirmView.CALLBACK, boundaries.confirm)
    routes.add(ChangesView.CALLBACK, boundaries.changes)
    routes.add(ChecklistView.CALLBACK, checklist.handle)
    routes.add(RequestView.CALLBACK, request.handle)
    routes.add(EditRequestView.CALLBACK, request.edit)
    routes.add(NoteView.CALLBACK, note.handle)
    register_views(app, routes)
