"""Everything imported or typed is text, not markup: a production name, a closed-set text, a
cast list's names, a schedule's set names, a file's name and its bad cells, all carrying
`<!channel>`, a mention and a link, go through setup, imports, prompts, AD reminders, the
schedule list, help, the status modal and the Home tab, and every mrkdwn text the app sent
shows them escaped (`tests.support.privacy.check_markup`, run on every call of the suite, finds none
left raw; here we also see the escaped forms arrive where each value is shown)."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.ids import ImportAction, SetupView
from tests.conftest import RunningApp
from tests.support.e2e import (
    AD,
    COORDINATOR,
    add_people,
    click_import,
    open_and_submit_setup,
    open_modal,
    reply,
    upload,
)
from tests.support.privacy import check_markup, mrkdwn_texts
from tests.support.signing import plain

PING, MENTION, LINK = "<!channel>", "<@U0HOSTILE1>", "<https://evil.example|click>"
NAME = f"Night {PING} {LINK} & Co"
CAST = (
    "Cast #,Character,Performer,Slack\n"
    f"1,Lena {PING},Jane Doe {MENTION},U0PERF0001\n"
    f"2,Max {LINK},Bob Smith,U0PERF0002\n"
)
SCHEDULE = (
    "Scene,Shoot Date,Time,Set,Cast,Intimacy,Intimacy Notes\n"
    f'42A,2026-03-02,14:30,INT. BEDROOM {PING} {LINK},"1, 2",yes,Kiss and embrace\n'
)
BAD = f"Scene,Shoot Date,Time,Set\n42A,{PING} {MENTION},14:30,Kitchen\n"


def _escaped(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shown(app: RunningApp, method: str, **params: str) -> str:
    """The mrkdwn text of the calls of `method` (to `params`' recipient), together."""
    calls = [
        c
        for c in app.standin.calls(method)
        if all(str(c.params.get(k)) == v for k, v in params.items())
    ]
    return "\n".join(t for c in calls for t in mrkdwn_texts(c.method, c.params))


def test_names_sets_and_cells_from_files_and_people_are_shown_as_text(app: RunningApp) -> None:
    add_people(app.standin)
    done = open_and_submit_setup(
        app,
        **{
            SetupView.NAME: plain(NAME),
            SetupView.CLOSED_SET_TEXT: plain(f"Robes ready {PING} {MENTION}"),
        },
    )
    assert _escaped(NAME) in json.dumps(done.view, ensure_ascii=False)  # the modal's answer
    preview = upload(app, CAST, f"cast {PING}.csv")
    assert f"Lena {_escaped(PING)}" in " ".join(mrkdwn_texts("chat.postMessage", preview))
    click_import(app, preview, ImportAction.APPLY)
    problems = upload(app, BAD, "bad.csv")
    assert _escaped(PING) in " ".join(mrkdwn_texts("chat.postMessage", problems))
    click_import(app, upload(app, SCHEDULE, "schedule.csv"), ImportAction.APPLY)
    app.dispatch()  # tomorrow's scene: its performers are asked now
    app.clock.advance(timedelta(hours=9))  # 18:00 the evening before: AD reminder and digest
    app.dispatch()

    reply(app, f"schedule in {NAME}", COORDINATOR)
    reply(app, "help", COORDINATOR)
    open_modal(app, "status 42A", COORDINATOR)
    for user_id in (COORDINATOR, "U0PERF0001", AD):
        app.slack.event({"type": "app_home_opened", "user": user_id, "tab": "home"})
    app.standin.wait_for("views.publish", count=3)

    prompt = _shown(app, "chat.postMessage", channel="U0PERF0001")
    assert f"Set: INT. BEDROOM {_escaped(PING)} {_escaped(LINK)}" in prompt
    assert f"{_escaped(NAME)} · coordinated by <@{COORDINATOR}>" in prompt
    reminders = _shown(app, "chat.postMessage", channel="C0ADS00001")
    assert f"Robes ready {_escaped(PING)} {_escaped(MENTION)}" in reminders
    assert f"INT. BEDROOM {_escaped(PING)}" in reminders
    answers = _shown(app, "response_url")
    assert f"*{_escaped(NAME)}* · upcoming scenes" in answers  # the schedule list
    assert f"*Closed Set* · {_escaped(NAME)}" in answers  # help
    status = _shown(app, "views.open")
    assert f"*Jane Doe {_escaped(MENTION)}* (Lena {_escaped(PING)})" in status
    assert f"Jane Doe {_escaped(MENTION)} (Lena {_escaped(PING)})" in _shown(
        app, "views.publish", user_id=COORDINATOR
    )
    problems_left = [p for call in app.standin.calls() for p in check_markup(call)]
    assert problems_left == []
