"""Logging in one place: LOG_LEVEL and LOG_FORMAT, a request's reference on every line of it
(the one a person is shown when something fails), and Slack's own loggers kept above DEBUG
whatever the level, since they log whole request and response bodies there."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.cli import main
from bot.config import ConfigError, log_settings
from bot.worker import JobContext
from tests.conftest import RunningApp


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_ref(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("DEBUG", "json")
    ref = logs.new_ref()
    logging.getLogger("bot.example").info("scene %s moved", 42)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("bot.example").exception("failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "scene 42 moved"
    assert {"time", "level", "logger", "message", "ref"} <= set(lines[0])
    assert lines[0]["ref"] == ref and lines[0]["level"] == "INFO"
    assert "RuntimeError: boom" in lines[1]["error"]


def test_slack_loggers_stay_at_info_at_debug(restore_logging: None) -> None:
    logs.configure("DEBUG", "text")
    assert logging.getLogger().level == logging.DEBUG
    for name in ("slack_sdk", "slack_sdk.webhook.client", "slack_bolt", "closedset.slack"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name


@pytest.mark.parametrize(
    ("env", "serving", "expected"),
    [
        ({}, True, ("INFO", "text")),
        ({}, False, ("WARNING", "text")),
        ({"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON"}, True, ("DEBUG", "json")),
    ],
)
def test_log_settings(env: dict[str, str], serving: bool, expected: tuple[str, str]) -> None:
    assert log_settings(env, serving=serving) == expected


@pytest.mark.parametrize("env", [{"LOG_LEVEL": "verbose"}, {"LOG_FORMAT": "xml"}])
def test_a_bad_log_setting_is_a_config_error(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    with pytest.raises(ConfigError):
        log_settings(env, serving=True)
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    assert (
        main(["--env-file", str(tmp_path / ".env"), "schedule", "show", "--production", "x"]) == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("closedset: LOG_")


def test_a_failing_job_is_logged_and_told_under_its_requests_reference(
    http_app: RunningApp, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers import commands

    def broken(job: JobContext, command: dict[str, object]) -> None:
        logging.getLogger("handlers.commands").info("running a subcommand")
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(commands, "run_subcommand", broken)
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(logs._Ref())
    assert http_app.slack.command("help", user_id="U0COORD001").status == 200
    told = http_app.standin.wait_for("response_url")[-1].params["text"]
    ref = told.split("(ref ")[1].split(")")[0]
    mine = [r for r in caplog.records if getattr(r, "ref", None) == ref]
    assert any(r.getMessage() == "running a subcommand" for r in mine)
    assert any("failed (ref " + ref in r.getMessage() for r in mine)
