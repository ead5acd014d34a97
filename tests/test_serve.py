"""`closedset serve` as a real process: HTTP on PORT, /healthz, signed requests, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.crypto import generate_key
from bot.server import wsgi_app
from storage.db import make_engine
from tests.support.processes import start_serve
from tests.support.signing import SlackSender
from tests.support.slack_standin import BOT_TOKEN, SlackStandIn


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {process.communicate()[1]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve did not become healthy")


def test_serve_http_answers_and_stops_cleanly_on_sigterm(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    port = _free_port()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "serve-secret",
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "PORT": str(port),
        "CLOSEDSET_ENCRYPTION_KEY": generate_key(),
    }
    process = start_serve(env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        assert standin.calls("auth.test")  # the token was checked through SLACK_API_URL
        sender = SlackSender(url, "serve-secret", response_base=standin.base_url)
        response = sender.command("help", user_id="U0STRANGER")
        assert response.status == 200
        answer = standin.wait_for("response_url")[-1].params
        assert answer["response_type"] == "ephemeral" and "/closedset setup" in str(answer)
        assert sender.with_secret("nope").command("help", user_id="U1").status == 401
        try:
            urllib.request.urlopen(url + "/nothing-here", timeout=2)
        except urllib.error.HTTPError as error:
            assert error.code == 404
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=5)
    assert "Traceback" not in stderr
    assert "serving HTTP on port" in stderr and "stopped" in stderr


def test_healthz_is_503_when_the_database_does_not_answer() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    app = App(
        token=BOT_TOKEN,
        signing_secret="s",
        token_verification_enabled=False,
        client=WebClient(token=BOT_TOKEN, base_url="http://127.0.0.1:1/api/"),
    )
    statuses: list[str] = []

    def start_response(status: str, headers: Any) -> None:
        statuses.append(status)

    body = b"".join(
        wsgi_app(app, engine)({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, start_response)
    )
    assert statuses == ["503 Service Unavailable"] and b"database" in body
