"""Fetching a file shared with the bot, without ever sending the bot token anywhere else.

`files.info` says where a file lives, and for a *remote* file (added with `files.remote.add`)
that is "an external URL, which can point to any host" (Slack's docs): a download that simply
followed it would hand `Authorization: Bearer xoxb-…` to whoever made the file. So:

- remote files (`is_external`, `mode: "external"`) are refused, with a reply saying to upload
  the file itself;
- the token is sent only to Slack's file host (`bot.slackhosts.is_file_url`), and a redirect
  is followed only to another URL on Slack's file host: anything else is refused unfetched
  (`urllib` would otherwise keep the header across hosts);
- the size limit applies to the bytes actually received, not to the `size` `files.info`
  claims, and the whole download has a time limit.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urljoin

from slack_sdk import WebClient

from bot.problems import InputRejected, Problem
from bot.slackhosts import is_file_url

DOWNLOAD_SECONDS = 30.0
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as responses, for `download` to judge; never followed here."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _refused(text: str) -> InputRejected:
    return InputRejected([Problem(text)])


def download(
    client: WebClient, file_id: str, *, max_bytes: int, seconds: float = DOWNLOAD_SECONDS
) -> tuple[str, bytes]:
    """The file's name and bytes, fetched with the bot token from Slack's file host."""
    info: dict[str, Any] = client.files_info(file=file_id)["file"]
    if info.get("is_external") or info.get("mode") == "external":
        raise _refused(
            "this file is stored outside Slack (a linked file), so I can't read it; upload "
            "the file itself to this conversation"
        )
    if int(info.get("size") or 0) > max_bytes:
        raise _refused(f"the file is larger than {_size(max_bytes)}")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not url:
        raise _refused("Slack did not give me the file; try uploading it again")
    deadline = time.monotonic() + seconds
    for _ in range(MAX_REDIRECTS + 1):
        if not is_file_url(url, api_url=client.base_url):
            raise _refused(
                "Slack pointed me to an address outside its file servers, so I did not fetch "
                "it; upload the file itself to this conversation"
            )
        status, headers, data = _fetch(url, client.token or "", max_bytes, deadline)
        if status in (301, 302, 303, 307, 308) and headers.get("Location"):
            url = urljoin(url, headers["Location"])
            continue
        if status != 200:
            raise _refused(f"Slack would not hand me the file (HTTP {status}); upload it again")
        if "text/html" in headers.get("Content-Type", "") and not str(
            info.get("name", "")
        ).endswith(".html"):
            raise _refused("Slack refused to hand me the file (is the files:read scope granted?)")
        return str(info.get("name") or "file"), data
    raise _refused("Slack sent me around in circles for this file; upload it again")


def _fetch(
    url: str, token: str, max_bytes: int, deadline: float
) -> tuple[int, dict[str, str], bytes]:
    """One GET with the token, no redirect followed, at most `max_bytes` read, by `deadline`."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    remaining = deadline - time.monotonic()
    try:
        response = _OPENER.open(request, timeout=max(0.1, min(remaining, 10.0)))
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), b""
    except (urllib.error.URLError, TimeoutError, OSError):
        raise _refused("I could not fetch the file from Slack; try uploading it again") from None
    with response:
        headers = dict(response.headers.items())
        parts: list[bytes] = []
        received = 0
        while True:
            if time.monotonic() > deadline:
                raise _refused("the file took too long to fetch from Slack; try again")
            try:
                chunk = response.read1(_CHUNK)
            except (TimeoutError, OSError):
                raise _refused("the file took too long to fetch from Slack; try again") from None
            if not chunk:
                break
            received += len(chunk)
            if received > max_bytes:
                raise _refused(f"the file is larger than {_size(max_bytes)}")
            parts.append(chunk)
        return response.status, headers, b"".join(parts)


def _size(limit: int) -> str:
    return f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 2**10:g} KB"
