"""`handlers.routing`: one Bolt listener per kind of interaction, handlers found by id."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from handlers.routing import Routes, register_actions, register_views


class Ids(StrEnum):
    FIRST = "first"
    LAST = "last"


def _app() -> App:
    def authorize(team_id: str, **_: Any) -> AuthorizeResult:  # no auth.test: nothing listens
        return AuthorizeResult(enterprise_id=None, team_id=team_id, bot_token="xoxb-test")

    app = App(
        client=WebClient(base_url="http://127.0.0.1:9/api/"),
        authorize=authorize,
        signing_secret="unused",
        process_before_response=True,
        request_verification_enabled=False,
    )

    @app.middleware
    def add_deps(context: Any, next: Any) -> None:
        context["deps"] = "the deps"
        next()

    return app


def _interactive(payload: dict[str, Any]) -> BoltRequest:
    body = urlencode({"payload": json.dumps(payload)})
    return BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})


def _click(action_id: str) -> BoltRequest:
    return _interactive(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "U1"},
            "api_app_id": "A1",
            "actions": [{"action_id": action_id, "block_id": "b", "value": "v"}],
        }
    )


def _submit(callback_id: str) -> BoltRequest:
    return _interactive(
        {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": "U1"},
            "api_app_id": "A1",
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": callback_id,
                "state": {"values": {}},
            },
        }
    )


def test_each_click_reaches_its_handler_with_the_arguments_it_names() -> None:
    seen: list[tuple[str, Any]] = []

    def first(ack: Ack, action: dict[str, Any]) -> None:
        ack()
        seen.append(("first", action["action_id"]))

    def last(ack: Ack, body: dict[str, Any], deps: Any) -> None:
        ack()
        seen.append(("last", (body["user"]["id"], deps)))

    def paged(ack: Ack, action: dict[str, Any]) -> None:
        ack()
        seen.append(("paged", action["action_id"]))

    def other(ack: Ack) -> None:
        ack()
        seen.append(("other", None))

    routes = Routes()
    routes.add(Ids.FIRST, first)
    routes.add_prefix("page_", paged)
    routes.add(Ids.LAST, last)
    routes.fallback(other)
    app = _app()
    register_actions(app, routes)

    for action_id in ("first", "last", "page_next", "page_earlier", "gone_button"):
        assert app.dispatch(_click(action_id)).status == 200
    assert seen == [
        ("first", "first"),
        ("last", ("U1", "the deps")),
        ("paged", "page_next"),
        ("paged", "page_earlier"),
        ("other", None),
    ]


def test_an_exact_id_wins_over_a_prefix_and_prefixes_go_in_order() -> None:
    def a(ack: Ack) -> None: ...

    def b(ack: Ack) -> None: ...

    def c(ack: Ack) -> None: ...

    routes = Routes()
    routes.add_prefix("page_", a)
    routes.add_prefix("page_x", b)
    routes.add("page_exact", c)
    assert routes.find("page_exact").handler is c  # type: ignore[union-attr]
    assert routes.find("page_xy").handler is a  # type: ignore[union-attr]
    assert routes.find("nothing") is None


def test_a_modal_of_an_unknown_callback_id_is_left_unmatched_as_without_the_table() -> None:
    submitted: list[str] = []

    def confirm(ack: Ack, view: dict[str, Any]) -> None:
        ack()
        submitted.append(view["callback_id"])

    routes = Routes()
    routes.add("confirm", confirm)
    app = _app()
    register_views(app, routes)

    assert app.dispatch(_submit("confirm")).status == 200
    # Bolt's own answer for a request no listener takes; the id is matched whole.
    assert app.dispatch(_submit("confirm_old")).status == 404
    assert app.dispatch(_submit("xconfirm")).status == 404
    assert submitted == ["confirm"]


def test_a_handler_asking_for_an_argument_the_table_cannot_give_is_refused_at_start() -> None:
    def wants_say(ack: Ack, say: Any) -> None: ...

    with pytest.raises(TypeError, match="say"):
        Routes().add("x", wants_say)


def test_an_id_routed_twice_is_refused() -> None:
    def a(ack: Ack) -> None: ...

    routes = Routes()
    routes.add(Ids.FIRST, a)
    with pytest.raises(ValueError, match="first"):
        routes.add("first", a)


def test_the_app_tries_one_listener_per_kind_of_interaction() -> None:
    """What the table is for: Bolt tries listeners one by one, each try costing ~10 µs, so the
    real app keeps one for commands, one for clicks, one for modals and one per event type."""
    from bot.app import create_app
    from bot.deps import Deps

    app = create_app(
        client=WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/"),
        signing_secret="unused",
        deps=Deps(None, None, None),  # type: ignore[arg-type]
        verify_token=False,
    )
    assert len(app._listeners) == 5  # /closedset, block_actions, view_submission, 2 events
