"""Text comparison the way people expect: case- and accent-insensitive, spaces collapsed."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def mrkdwn_escape(text: str) -> str:
    """`text` as literal text wherever Slack reads mrkdwn (section and context text, a
    message's `text`, a `response_url` answer): nothing in it can mention, link or notify.

    Slack's formatting reference ("Escaping text",
    https://api.slack.com/reference/surfaces/formatting#escaping) makes `&`, `<` and `>` its
    control characters, to be sent as `&amp;`, `&lt;` and `&gt;` when meant as text, and
    nothing else entity-encoded. Every link, mention and special mention is a `<…>` sequence
    (`<@U…>`, `<#C…>`, `<!channel>`, `<https://…|label>`), so escaping the three shows any of
    them as typed. `*bold*` and `_italic_` stay formatting: harmless, and people mean them.
    Text in `plain_text` objects (labels, options, titles, headers) is shown as typed and must
    not be escaped, or the reader sees `&amp;`.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
