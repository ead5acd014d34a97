"""Steps shared by the end-to-end tests: what a person does in Slack, as signed requests."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.ids import ImportAction, SetupView
from handlers.blocks.saving import SAVING
from storage.models import Production
from tests.conftest import RunningApp
from tests.support.signing import conversation, plain, timepicker, users
from tests.support.slack_standin import SlackStandIn

COORDINATOR = "U0COORD001"
AD = "U0ADAD0001"
PERFORMERS = {
    "U0PERF0001": ("Jane Doe", "jane", "jane@example.com"),
    "U0PERF0002": ("Bob Smith", "bob", "bob@example.com"),
    "U0PERF0003": ("Ana Núñez", "ana", "ana@example.com"),
}

CAST_CSV = (
    "Cast #,Character,Performer,Slack\n"
    "1,Lena,Jane Doe,U0PERF0001\n"
    "2,Max,Bob Smith,bob@example.com\n"
    "3,Ines,Ana Núñez,@ana\n"
)

SCHEDULE_CSV = (
    "Scene,Shoot Date,Time,Set,Cast,Intimacy,Intimacy Notes,Description\n"
    '42A,2026-03-10,14:30,INT. BEDROOM,"1, 2",yes,Kiss and embrace,Lena and Max reconcile\n'
    "43,2026-03-10,16:00,INT. KITCHEN,3,no,,Ines cooks\n"
    '44,2026-03-11,09:00,EXT. BEACH,"1,3",yes,Swimwear scene,Morning swim\n'
)


def add_people(standin: SlackStandIn) -> None:
    standin.add_user(COORDINATOR, "coord", real_name="Cora Ordinator", tz="Europe/London")
    standin.add_user(AD, "ad", real_name="Adam Dee")
    for user_id, (name, handle, email) in PERFORMERS.items():
        standin.add_user(user_id, handle, real_name=name, email=email)


def setup_values(**overrides: Any) -> dict[str, Any]:
    values = {
        SetupView.NAME: plain("Night Shift"),
        SetupView.ZONE: plain("Europe/London"),
        SetupView.COORDINATORS: users([COORDINATOR]),
        SetupView.ADS: users([AD]),
        SetupView.ADMINS: users([]),
        SetupView.AD_CHANNEL: conversation("C0ADS00001"),
        SetupView.LEAD: plain("48h"),
        SetupView.NUDGE: plain("24h"),
        SetupView.ESCALATION: plain("12h"),
        SetupView.CALL: timepicker("07:00"),
        SetupView.CATEGORY: plain(None),
    }
    values.update(overrides)
    return {block: {"value": value} for block, value in values.items()}


def open_and_submit_setup(
    app: RunningApp, user_id: str = COORDINATOR, **overrides: Any
) -> Submitted:
    app.standin.clear()
    opened = open_modal(app, "setup", user_id)
    return submit(
        app,
        user_id=user_id,
        callback_id=opened["callback_id"],
        private_metadata=opened["private_metadata"],
        values=setup_values(**overrides),
    )


def production(app: RunningApp, name: str = "Night Shift") -> Production:
    with app.session_factory() as session:
        found = session.scalar(select(Production).where(Production.name == name))
        assert found is not None
        session.expunge(found)
        return found


def upload(
    app: RunningApp, content: str, name: str, *, user_id: str = COORDINATOR, text: str = ""
) -> dict[str, Any]:
    """Share a file in the bot's DM and wait for the bot's answer there."""
    channel = app.standin.dm_channel_id(user_id)
    before = len(posts_to(app, channel))
    file = app.standin.add_file(content.encode(), name, user=user_id)
    response = app.slack.event(
        {
            "type": "message",
            "subtype": "file_share",
            "channel_type": "im",
            "channel": channel,
            "user": user_id,
            "text": text,
            "files": [file],
        }
    )
    assert response.status == 200
    return next_post(app, channel, before)


def posts_to(app: RunningApp, channel: str) -> list[dict[str, Any]]:
    """What the bot posted in `channel` (other messages, e.g. to people just added to a
    production, may go out meanwhile)."""
    return [
        c.params
        for c in app.standin.calls("chat.postMessage")
        if c.params.get("channel") == channel
    ]


def next_post(app: RunningApp, channel: str, before: int, timeout: float = 10) -> dict[str, Any]:
    """The bot's next post in `channel`, after the `before` it had there."""
    deadline = time.monotonic() + timeout
    while len(posted := posts_to(app, channel)) <= before:
        assert time.monotonic() < deadline, f"nothing more posted in {channel}"
        time.sleep(0.02)
    return posted[before]


def blocks_text(params: dict[str, Any]) -> str:
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks or [], ensure_ascii=False) + str(params.get("text", ""))


def button_value(params: dict[str, Any], action_id: str) -> str:
    blocks = params["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {blocks}")


def click_import(
    app: RunningApp, preview: dict[str, Any], action: ImportAction, user_id: str = COORDINATOR
) -> dict[str, Any]:
    before = len(app.standin.calls("chat.update"))
    response = app.slack.block_action(
        user_id=user_id,
        action_id=action,
        value=button_value(preview, action),
        channel_id=app.standin.dm_channel_id(user_id),
        message={"ts": "1700000000.000100", "type": "message", "text": ""},
    )
    assert response.status == 200
    return app.standin.wait_for("chat.update", count=before + 1)[-1].params


def reply(app: RunningApp, text: str, user_id: str) -> dict[str, Any]:
    """Run `/closedset TEXT` and return the bot's answer: the app acknowledges at once and
    answers through the command's `response_url`."""
    before = len(app.standin.calls("response_url"))
    assert app.slack.command(text, user_id=user_id).status == 200
    return app.standin.wait_for("response_url", count=before + 1)[-1].params


def open_modal(app: RunningApp, text: str, user_id: str) -> dict[str, Any]:
    """Run `/closedset TEXT` and return the modal the bot opened."""
    before = len(app.standin.calls("views.open"))
    assert app.slack.command(text, user_id=user_id).status == 200
    view: dict[str, Any] = app.standin.wait_for("views.open", count=before + 1)[-1].json("view")
    return view


_view_ids = itertools.count(1)


@dataclass(frozen=True)
class Submitted:
    """A modal submission as the person sees it: Slack's answer to it (`ack`: errors under
    fields, the modal replaced, or `{}` for a bare ack) and, for one a job saves, the modal
    the job put in place of "Saving…" (`view`)."""

    ack: dict[str, Any]
    view: dict[str, Any] | None = None

    @property
    def errors(self) -> dict[str, str]:
        """The errors shown under the fields (none unless the ack refused the values)."""
        errors: dict[str, str] = self.ack.get("errors", {})
        return errors if self.ack.get("response_action") == "errors" else {}

    @property
    def saving(self) -> bool:
        """Whether the ack replaced the modal with "Saving…" (a job does the rest)."""
        return self.ack.get("response_action") == "update" and SAVING in json.dumps(
            self.ack.get("view"), ensure_ascii=False
        )

    @property
    def text(self) -> str:
        """Everything the modal says after the submission (the job's view, else the ack)."""
        return json.dumps(self.view if self.view is not None else self.ack, ensure_ascii=False)

    @property
    def status(self) -> int:
        """The HTTP status of the ack (`submit` asserts it was 200)."""
        return 200

    def json(self) -> dict[str, Any]:
        """The ack, as `Response.json` reads it."""
        return self.ack


def submit(
    app: RunningApp,
    *,
    user_id: str,
    callback_id: str,
    values: Mapping[str, Any],
    private_metadata: str = "",
    timeout: float = 10,
) -> Submitted:
    """Submit a modal and wait for its outcome: the ack's errors, or the view the job shows
    in place of "Saving…" (`views.update` of the submitted view)."""
    view_id = f"VSUB{next(_view_ids):06d}"
    response = app.slack.view_submission(
        user_id=user_id,
        callback_id=callback_id,
        values=values,
        private_metadata=private_metadata,
        view_id=view_id,
    )
    assert response.status == 200, response.text
    ack = response.json() if response.body.strip() else {}
    submitted = Submitted(ack)
    if not submitted.saving:
        return submitted
    return Submitted(ack, outcome(app, view_id, timeout))


def outcome(app: RunningApp, view_id: str, timeout: float = 10) -> dict[str, Any]:
    """The view the app put in place of the modal `view_id` (its first `views.update`)."""
    deadline = time.monotonic() + timeout
    while True:
        for call in app.standin.calls("views.update"):
            if call.params.get("view_id") == view_id:
                view: dict[str, Any] = call.json("view")
                return view
        assert time.monotonic() < deadline, f"the modal {view_id} was not updated"
        time.sleep(0.02)


def next_home(app: RunningApp, user_id: str, send: Callable[[], object]) -> dict[str, Any]:
    """The Home tab next published for `user_id` after `send()` (another person's Home,
    refreshed by an earlier job, may be published meanwhile: it is not this one)."""

    def published() -> list[Any]:
        return [c for c in app.standin.calls("views.publish") if c.params["user_id"] == user_id]

    before = len(published())
    send()
    deadline = time.monotonic() + 10
    while len(mine := published()) <= before:
        assert time.monotonic() < deadline, f"no Home tab was published for {user_id}"
        time.sleep(0.02)
    view: dict[str, Any] = mine[-1].json("view")
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    return view


def home_view(app: RunningApp, user_id: str) -> dict[str, Any]:
    """The Home tab published for `user_id` when they open it."""

    def opened() -> None:
        response = app.slack.event({"type": "app_home_opened", "user": user_id, "tab": "home"})
        assert response.status == 200

    return next_home(app, user_id, opened)
