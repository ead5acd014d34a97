"""`closedset serve` in Socket Mode as a real process: it opens a connection through
`apps.connections.open` at SLACK_API_URL, gets envelopes over the WebSocket stand-in, acks
them, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.crypto import generate_key
from bot.ids import ScheduleAction
from bot.meta import pack
from tests.support.processes import start_serve
from tests.support.signing import DEFAULT_CHANNEL, VERIFICATION_TOKEN
from tests.support.slack_standin import (
    API_APP_ID,
    APP_TOKEN,
    BOT_TOKEN,
    RESPONSE_URL_METHOD,
    TEAM_DOMAIN,
    TEAM_ID,
    Call,
    SlackStandIn,
)
from tests.support.ws_standin import SocketModeStandIn

STRANGER = "U0STRANGER"


@dataclass
class SocketModeApp:
    process: subprocess.Popen[str]
    ws: SocketModeStandIn
    standin: SlackStandIn

    def stop(self) -> str:
        """SIGTERM; the process must exit 0 within 15 s. Returns its stderr."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=15) == 0
        return self.process.communicate(timeout=5)[1]


@pytest.fixture
def ws() -> Iterator[SocketModeStandIn]:
    with SocketModeStandIn() as server:
        yield server


@pytest.fixture
def socket_app(
    tmp_path: Path, standin: SlackStandIn, ws: SocketModeStandIn
) -> Iterator[SocketModeApp]:
    """`closedset serve` with SLACK_APP_TOKEN (no signing secret), connected to `ws`."""

    def connections_open(call: Call) -> tuple[int, dict[str, str], dict[str, Any]]:
        return 200, {}, {"ok": True, "url": ws.url}

    standin.respond("apps.connections.open", connections_open)
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/socket.db",
        "CLOSEDSET_ENCRYPTION_KEY": generate_key(),
    }
    process = start_serve(env, tmp_path)
    try:
        try:
            ws.wait_for_connection(timeout=10)
        except AssertionError:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"serve did not connect: {process.communicate()[1]}") from None
        yield SocketModeApp(process, ws, standin)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=5)


def _slash_command(text: str, *, user_id: str, response_url: str) -> dict[str, Any]:
    """The `slash_commands` envelope payload: the same fields as the HTTP form."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": DEFAULT_CHANNEL,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/closedset",
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"1.{uuid.uuid4().int % 10**10}.abc",
    }


def _block_action(
    action_id: str, *, user_id: str, response_url: str, value: str = "x"
) -> dict[str, Any]:
    """An `interactive` envelope payload: a button click in a channel message."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": f"1.{uuid.uuid4().int % 10**10}.abc",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": DEFAULT_CHANNEL,
            "is_ephemeral": False,
        },
        "channel": {"id": DEFAULT_CHANNEL, "name": "general"},
        "message": {"type": "message", "text": "", "ts": "1700000000.000100", "blocks": []},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "text": {"type": "plain_text", "text": "?"},
                "value": value,
                "action_ts": "1700000001.000200",
            }
        ],
    }


def _help(app: SocketModeApp) -> dict[str, Any]:
    """`/closedset help` from a user in no production: acknowledged at once (no payload),
    then answered at the command's `response_url`; returns that answer."""
    response_url = app.standin.response_url("commands")
    payload = _slash_command("help", user_id=STRANGER, response_url=response_url)
    envelope_id = app.ws.send_envelope("slash_commands", payload)
    assert app.ws.wait_for_ack(envelope_id, timeout=5) == {"envelope_id": envelope_id}
    path = urlsplit(response_url).path
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for call in app.standin.calls(RESPONSE_URL_METHOD):
            if call.path == path:
                return call.params
        time.sleep(0.02)
    raise AssertionError("no answer at the command's response_url")


def test_socket_mode_help_is_acked_with_blocks_and_sigterm_stops_cleanly(
    socket_app: SocketModeApp,
) -> None:
    ws, standin = socket_app.ws, socket_app.standin
    (opened,) = standin.calls("apps.connections.open")
    assert opened.token == APP_TOKEN and opened.ok
    assert standin.calls("auth.test")  # the bot token was checked through SLACK_API_URL
    assert ws.handshakes[0].path == f"/link/?ticket={ws.ticket}&app_id={API_APP_ID}"

    payload = _help(socket_app)

    assert payload["response_type"] == "ephemeral"
    assert "/closedset setup" in json.dumps(payload["blocks"])  # "how to set up" help
    assert ws.pings >= 1  # the client pinged on connect and got our pong
    stderr = socket_app.stop()
    assert "Traceback" not in stderr, stderr
    assert "connected to Slack in Socket Mode" in stderr and "stopped" in stderr
    assert ws.connections == 1  # no reconnects along the way


def test_socket_mode_block_action_is_acked_then_answered_at_response_url(
    socket_app: SocketModeApp,
) -> None:
    ws, standin = socket_app.ws, socket_app.standin
    response_url = standin.response_url("actions")
    click = _block_action(
        f"{ScheduleAction.PAGE}_next",
        user_id=STRANGER,
        response_url=response_url,
        value=pack("page", p=999_999, o=10),
    )
    envelope_id = ws.send_envelope("interactive", click)

    assert ws.wait_for_ack(envelope_id, timeout=5) == {"envelope_id": envelope_id}
    (answer,) = standin.wait_for(RESPONSE_URL_METHOD, timeout=5)
    assert answer.path == urlsplit(response_url).path
    assert answer.params["text"] == "This production no longer exists."
    assert "Traceback" not in socket_app.stop()


def test_socket_mode_unknown_block_action_leaves_the_process_serving(
    socket_app: SocketModeApp,
) -> None:
    ws, standin = socket_app.ws, socket_app.standin
    click = _block_action(
        "no_such_action", user_id=STRANGER, response_url=standin.response_url("actions")
    )
    ws.send_envelope("interactive", click)

    assert _help(socket_app)["response_type"] == "ephemeral"
    assert socket_app.process.poll() is None
    assert ws.connections == 1
    stderr = socket_app.stop()
    assert "Traceback" not in stderr, stderr


def test_socket_mode_disconnect_message_makes_the_app_reconnect(
    socket_app: SocketModeApp,
) -> None:
    """Slack sends `disconnect` before it refreshes a connection: the app asks for a new URL,
    connects again, drops the old connection and keeps serving."""
    ws, standin = socket_app.ws, socket_app.standin
    ws.send_json({"type": "disconnect", "reason": "refresh_requested", "debug_info": {}})

    ws.wait_for_connection(count=2, timeout=5)
    assert len(standin.wait_for("apps.connections.open", count=2)) == 2
    assert _help(socket_app)["response_type"] == "ephemeral"
    ws.wait_for_open_connections(1)  # the old connection was closed by the app
    stderr = socket_app.stop()
    assert "Traceback" not in stderr, stderr


def test_socket_mode_unknown_block_action_is_acked(socket_app: SocketModeApp) -> None:
    ws, standin = socket_app.ws, socket_app.standin
    click = _block_action(
        "no_such_action", user_id=STRANGER, response_url=standin.response_url("actions")
    )
    envelope_id = ws.send_envelope("interactive", click)
    assert ws.wait_for_ack(envelope_id, timeout=3)["envelope_id"] == envelope_id
