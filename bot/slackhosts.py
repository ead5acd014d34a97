"""Where the app may send what it holds: Slack's own hosts, and nowhere else.

`response_url`s come inside request payloads and file URLs come from `files.info`; either could
name any host, and a post or a download carries what is private (an answer to a person, the
bot token). So both are checked against Slack's hosts before anything is sent:

- `response_url`: `https://hooks.slack.com/...`;
- file downloads: `https://files.slack.com/...`;
- and, when `SLACK_API_URL` is set to something other than Slack's own API (GovSlack, a test
  stand-in), the origin of that URL — scheme, host and port — for both.

A URL with a user name or password in it is never Slack's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SLACK_API_URL = "https://slack.com/api/"
RESPONSE_HOST = "hooks.slack.com"
FILES_HOST = "files.slack.com"


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.lower(), port if port is not None else default


def _allowed(url: str, host: str, api_url: str) -> bool:
    origin = _origin(url)
    if origin is None:
        return False
    if origin == ("https", host, 443):
        return True
    if api_url.rstrip("/") == SLACK_API_URL.rstrip("/"):
        return False
    return origin == _origin(api_url)


def is_response_url(url: str | None, *, api_url: str) -> bool:
    """Whether `url` may be posted to as a `response_url`."""
    return bool(url) and _allowed(str(url), RESPONSE_HOST, api_url)


def is_file_url(url: str | None, *, api_url: str) -> bool:
    """Whether the bot token may be sent to `url` to download a file."""
    return bool(url) and _allowed(str(url), FILES_HOST, api_url)
