"""Logging, configured in one place: `LOG_LEVEL` and `LOG_FORMAT`, and what never reaches a log.

- `LOG_LEVEL` (default INFO): DEBUG, INFO, WARNING or ERROR, for the app's own loggers.
- `LOG_FORMAT`: `text` (default) or `json`: one JSON object per line with `time`, `level`,
  `logger`, `message`, `ref` (and `error`, the traceback, when there is one).
- Every line carries the reference of the request (or job) it belongs to, `ref`: the same
  reference a person is shown when something fails, so one grep finds every line of it.

What never reaches a log, whatever the level: slack_sdk and Bolt log whole request and
response bodies at DEBUG (modals with planned content, answers, notes), so their loggers — and
the logger the app hands them, `closedset.slack` — stay at INFO or above even at
`LOG_LEVEL=DEBUG`; and the app's own log lines name kinds, ids and counts, never content.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
SLACK_LOGGERS = ("slack_sdk", "slack_bolt", "closedset.slack")
"""Loggers that log request and response bodies at DEBUG: never below INFO."""

REQUEST_REF: ContextVar[str] = ContextVar("request_ref", default="-")


def new_ref() -> str:
    """A short reference for a request or a job, set for the lines logged while it runs."""
    ref = uuid.uuid4().hex[:8]
    REQUEST_REF.set(ref)
    return ref


class _Ref(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.ref = REQUEST_REF.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "ref": getattr(record, "ref", REQUEST_REF.get()),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(ref)s]: %(message)s"


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Set up the root logger (once per process; a second call replaces the first)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Ref())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_slack_loggers()
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # APScheduler logs every run of the sweep at INFO and a sweep skipped because the last
    # pass is still sending at WARNING: routine. Errors in our jobs are logged by us.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # waitress warns once per queued request when all its threads are busy.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def quiet_slack_loggers() -> None:
    for name in SLACK_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.level))
