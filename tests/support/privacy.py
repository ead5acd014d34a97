"""The privacy invariants, checked over every Slack call and every log line of the suite.

`tests/conftest.py` runs `check_calls` on everything each test's Slack stand-in recorded, and
`check_logs` on every log record emitted during each test. Tests that type something private
(a note, a planned content) register it with `sensitive(...)`; the planned contents of the
shared test data are registered here.

- Content: no planned content, boundary, answer or note appears in any message the app posts
  (`chat.*` calls and `response_url` answers) nor in any log line — only in modals (`views.*`).
- Pairing: no message names or mentions a performer (name, Slack ID, @handle, character)
  together with anything about answers or status.
- Channel posts: no message posted to a channel names, mentions or addresses any performer at
  all (name, first name, @handle, Slack ID, email, character).
- Markup: no text Slack reads as mrkdwn (messages, answers, modals, Home tabs) carries a special
  mention or a link the app did not mean: whatever came from a file or a person is escaped
  (`bot.text.mrkdwn_escape`).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

_SENSITIVE: set[str] = {
    "Kiss and embrace",
    "Swimwear scene",
    "Kiss only",
    "Kiss and embrace; robe between takes",
}
"""(Answer labels such as "Not OK" are button texts too: what pairs them with a person is
checked below, by identity beside answer and status words.)"""

PERFORMERS = {
    # Slack ID: (name, handle, character)
    "U0PERF0001": ("Jane Doe", "jane", "Lena"),
    "U0PERF0002": ("Bob Smith", "bob", "Max"),
    "U0PERF0003": ("Ana Núñez", "ana", "Ines"),
}
EMAILS = ("jane@example.com", "bob@example.com", "ana@example.com")
STATUS_WORDS = re.compile(
    r"confirm|withdr|talk|pause|missing|no answer|answer|boundar|asked for changes|not ok"
    r"|adjust|still good|declined|refused",
    re.IGNORECASE,
)
"""Words about answers and states. (A roster preview may name performers: it says nothing
of this kind.)"""


def sensitive(*texts: str) -> None:
    """Declare text that must never appear in a message or a log line."""
    _SENSITIVE.update(t for t in texts if t)


def _identities() -> list[re.Pattern[str]]:
    patterns = []
    for user_id, (name, handle, character) in PERFORMERS.items():
        for word in (user_id, name, name.split()[0], f"@{handle}", character):
            patterns.append(re.compile(rf"(?<![\w@]){re.escape(word)}(?!\w)"))
    return patterns


def _message_text(params: dict[str, Any]) -> str:
    parts = []
    for key in ("text", "blocks", "attachments"):
        value = params.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        parts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "\n".join(parts)


MARKUP = re.compile(r"<(?:!(?:channel|here|everyone|subteam)|(?:https?|mailto|ftp):)", re.I)
"""Markup the app never writes itself: special mentions and links in mrkdwn come from data
(a name, a file, someone's text) that was not escaped. The one exception is a coordinator's
request posted to its channel with "Notify the whole channel" (`<!channel>`, `<!here>`)."""
PINGS = re.compile(r"<!(?:channel|here)>")


def mrkdwn_texts(method: str, params: dict[str, Any]) -> list[str]:
    """Every text of a call that Slack reads as mrkdwn: a message's `text` fallback, and the
    `mrkdwn` text objects of its blocks or view (not `plain_text`, shown as typed)."""
    if method.startswith("views."):
        roots: list[Any] = [params.get("view")]
        found = []
    elif method.startswith("chat.") or method == "response_url":
        roots = [params.get("blocks"), params.get("attachments")]
        found = [str(params["text"])] if params.get("text") else []
    else:
        return []
    stack = [json.loads(r) if isinstance(r, str) else r for r in roots if r]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def check_markup(call: Any) -> list[str]:
    """Unescaped mentions and links in what the call shows as mrkdwn."""
    to_channel = call.method.startswith("chat.") and str(call.params.get("channel", ""))[:1] in "CG"
    problems = []
    for text in mrkdwn_texts(call.method, call.params):
        for match in MARKUP.finditer(PINGS.sub("", text) if to_channel else text):
            problems.append(f"{call.method} shows unescaped {match.group(0)!r}: {text[:300]}")
    return problems


def check_calls(calls: Iterable[Any]) -> list[str]:
    """Problems found in the recorded Slack calls (objects with `.method` and `.params`)."""
    problems: list[str] = []
    identities = _identities()
    for call in calls:
        problems.extend(check_markup(call))
        if not (call.method.startswith("chat.") or call.method == "response_url"):
            continue
        text = _message_text(call.params)
        for secret in _SENSITIVE:
            if secret in text:
                problems.append(f"{call.method} carries private content {secret!r}: {text[:300]}")
        if call.method == "chat.postMessage" and str(call.params.get("channel", ""))[:1] in "CG":
            # A channel post (a coordinator request): nothing that identifies any performer.
            for pattern in identities:
                if pattern.search(text):
                    problems.append(
                        f"a channel post names a performer ({pattern.pattern}): {text[:300]}"
                    )
            for email in EMAILS:
                if email in text:
                    problems.append(f"a channel post carries {email}: {text[:300]}")
        if STATUS_WORDS.search(text):
            for pattern in identities:
                if pattern.search(text):
                    problems.append(
                        f"{call.method} names a performer ({pattern.pattern}) beside "
                        f"answer/status words: {text[:300]}"
                    )
    return problems


def check_logs(lines: Iterable[str]) -> list[str]:
    return [
        f"a log line carries private content {secret!r}: {line[:300]}"
        for line in lines
        for secret in _SENSITIVE
        if secret in line
    ]
