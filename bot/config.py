"""Settings from the environment (and `.env`), checked once at start.

Every problem is reported as one line that names the variable and says what to do; the CLI
prints it and exits with status 2.

Two modes, one code base: with `SLACK_BOT_TOKEN` the app serves the one workspace that token
belongs to (the quick start); with `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` instead it
serves every workspace that installs it through "Add to Slack" (`GET /slack/install`), over HTTP
only, each workspace with its own token from the database (`bot.installations`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///closedset.db"
DEFAULT_PORT = 3000
MANIFEST = Path(__file__).parents[1] / "manifest.json"
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:history",
    "files:read",
    "users:read",
    "users:read.email",
)
"""The manifest's bot scopes, for an installed package without `manifest.json` beside it (a
test keeps the two equal)."""
DEFAULT_REFRESH_MINUTES = 120


class ConfigError(Exception):
    """A setting is missing or malformed. `str()` is the one line shown to the operator."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    port: int
    encryption_keys: tuple[str, ...]
    delivery_sweep_seconds: float = 5.0
    slack_rate_scale: float = 1.0
    host: str = "0.0.0.0"
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_redirect_uri: str | None = None
    slack_scopes: tuple[str, ...] = BOT_SCOPES
    token_refresh_minutes: int = DEFAULT_REFRESH_MINUTES
    """OAuth mode: a rotating bot token is refreshed this long before it expires."""

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth(self) -> bool:
        """Serving every workspace that installs the app (no `SLACK_BOT_TOKEN`)."""
        return self.slack_bot_token is None and self.slack_client_id is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for PostgreSQL."""
        if not self.is_sqlite:
            return None
        return Path(self.database_url.removeprefix("sqlite:///"))


def environment(env_file: str | Path = ".env") -> dict[str, str]:
    """The process environment over the values of `env_file` (the real environment wins)."""
    merged = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    merged.update(os.environ)
    return merged


def log_settings(env: Mapping[str, str], *, serving: bool) -> tuple[str, str]:
    """`LOG_LEVEL` (default INFO for `serve`/`deliver`, WARNING for the other commands) and
    `LOG_FORMAT` (`text` or `json`): see `bot.logs`."""
    level = env.get("LOG_LEVEL", "").strip().upper() or ("INFO" if serving else "WARNING")
    fmt = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR.")
    if fmt not in ("text", "json"):
        raise ConfigError("LOG_FORMAT must be text or json (one JSON object per line).")
    return level, fmt


def load_settings(
    env: Mapping[str, str], *, need_slack: bool = True, serving: bool = False
) -> Settings:
    """Validate the environment: `need_slack` for commands that call the Web API, `serving`
    for `serve` (which also needs a way to receive Slack's requests)."""

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    bot_token = get("SLACK_BOT_TOKEN")
    app_token = get("SLACK_APP_TOKEN")
    secret = get("SLACK_SIGNING_SECRET")
    client_id = get("SLACK_CLIENT_ID")
    client_secret = get("SLACK_CLIENT_SECRET")
    oauth = bot_token is None and (client_id is not None or client_secret is not None)
    if need_slack and oauth:
        _check_oauth(client_id, client_secret, secret, app_token, serving=serving)
    elif need_slack:
        if bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your "
                "Slack app's 'OAuth & Permissions' page into .env (or set SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET instead to serve several workspaces)."
            )
        if not bot_token.startswith("xoxb-"):
            raise ConfigError(
                "SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-' (see 'OAuth & "
                "Permissions' in your Slack app's settings)."
            )
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' with the "
                "connections:write scope; leave it unset to serve HTTP instead of Socket Mode."
            )
        if serving and app_token is None and secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
                "'Basic Information' page into .env (needed to verify Slack's HTTP requests)."
            )
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=secret,
        slack_app_token=app_token,
        slack_api_url=_api_url(get("SLACK_API_URL")),
        database_url=normalize_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
        port=_port(get("PORT")),
        encryption_keys=_keys(get("CLOSEDSET_ENCRYPTION_KEY")),
        delivery_sweep_seconds=_sweep(get("CLOSEDSET_DELIVERY_SWEEP_SECONDS")),
        slack_rate_scale=_rate_scale(get("CLOSEDSET_SLACK_RATE_SCALE")),
        host=get("HOST") or "0.0.0.0",
        slack_client_id=client_id if oauth else None,
        slack_client_secret=client_secret if oauth else None,
        slack_redirect_uri=_redirect_uri(get("SLACK_REDIRECT_URI")),
        slack_scopes=_scopes(get("SLACK_SCOPES")),
        token_refresh_minutes=_refresh_minutes(get("SLACK_TOKEN_REFRESH_MINUTES")),
    )


def _check_oauth(
    client_id: str | None,
    client_secret: str | None,
    secret: str | None,
    app_token: str | None,
    *,
    serving: bool,
) -> None:
    """OAuth mode: the app's credentials, and HTTP (Slack's redirect and its requests come to
    this server; Socket Mode has no page to come back to)."""
    if client_id is None:
        raise ConfigError(
            "SLACK_CLIENT_ID is not set: copy the Client ID from your Slack app's 'Basic "
            "Information' page into .env (needed with SLACK_CLIENT_SECRET to serve several "
            "workspaces)."
        )
    if client_secret is None:
        raise ConfigError(
            "SLACK_CLIENT_SECRET is not set: copy the Client Secret from your Slack app's 'Basic "
            "Information' page into .env (needed with SLACK_CLIENT_ID to serve several "
            "workspaces)."
        )
    if serving and app_token is not None:
        raise ConfigError(
            "SLACK_APP_TOKEN cannot be used with SLACK_CLIENT_ID: serving several workspaces "
            "needs HTTP (Slack sends installers back to /slack/oauth_redirect); unset "
            "SLACK_APP_TOKEN."
        )
    if serving and secret is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
            "'Basic Information' page into .env (needed to verify Slack's HTTP requests)."
        )


def _redirect_uri(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            "SLACK_REDIRECT_URI must be the full https:// URL of /slack/oauth_redirect on this "
            "server, as entered under 'OAuth & Permissions' → Redirect URLs (or leave it unset)."
        )
    return value


def _scopes(value: str | None) -> tuple[str, ...]:
    """`SLACK_SCOPES` (comma-separated), by default the bot scopes of `manifest.json`."""
    if value is None:
        return manifest_scopes()
    scopes = tuple(s.strip() for s in value.split(",") if s.strip())
    if not scopes or any(not s.replace(":", "").replace(".", "").isalnum() for s in scopes):
        raise ConfigError(
            "SLACK_SCOPES must be comma-separated bot scopes such as commands,chat:write (leave "
            "it unset for the scopes in manifest.json)."
        )
    return scopes


def manifest_scopes(manifest: Path = MANIFEST) -> tuple[str, ...]:
    """The bot scopes `manifest.json` asks for (`BOT_SCOPES` where the file is not shipped)."""
    try:
        found = json.loads(manifest.read_text())["oauth_config"]["scopes"]["bot"]
    except (OSError, ValueError, KeyError, TypeError):
        return BOT_SCOPES
    return tuple(str(s) for s in found)


def _refresh_minutes(value: str | None) -> int:
    if value is None:
        return DEFAULT_REFRESH_MINUTES
    if not value.isdigit() or not 1 <= int(value) <= 600:
        raise ConfigError(
            "SLACK_TOKEN_REFRESH_MINUTES must be a number of minutes between 1 and 600 "
            f"(default {DEFAULT_REFRESH_MINUTES}: rotating tokens last 12 hours)."
        )
    return int(value)


def _sweep(value: str | None) -> float:
    if value is None:
        return 5.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if not 0.1 <= seconds <= 300:
        raise ConfigError(
            "CLOSEDSET_DELIVERY_SWEEP_SECONDS must be a number of seconds between 0.1 and 300 "
            "(default 5); leave it unset unless you have a reason."
        )
    return seconds


def _rate_scale(value: str | None) -> float:
    """Slack's published rates (the minimums every workspace gets) times this: for a Slack
    stand-in in tests and benchmarks, or a workspace Slack has allowed more."""
    if value is None:
        return 1.0
    try:
        scale = float(value)
    except ValueError:
        scale = 0
    if not 0.1 <= scale <= 1000:
        raise ConfigError(
            "CLOSEDSET_SLACK_RATE_SCALE must be a number between 0.1 and 1000 (default 1: "
            "Slack's published rate limits); leave it unset against the real Slack."
        )
    return scale


def _api_url(value: str | None) -> str:
    if value is None:
        return DEFAULT_API_URL
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL} "
            "(leave it unset for Slack's own API)."
        )
    return value if value.endswith("/") else value + "/"


def normalize_database_url(value: str) -> str:
    """Map the accepted spellings onto SQLAlchemy URLs served by psycopg 3 or sqlite3."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value.removeprefix(prefix)
    if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
        return value
    raise ConfigError(
        "DATABASE_URL must look like sqlite:///PATH/closedset.db or "
        "postgresql://USER@HOST:PORT/DBNAME (postgres:// and postgresql+psycopg:// work too)."
    )


def _port(value: str | None) -> int:
    if value is None:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError("PORT must be a TCP port number between 1 and 65535, e.g. 3000.")
    return int(value)


def _keys(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    keys = tuple(k.strip() for k in value.split(",") if k.strip())
    for position, key in enumerate(keys, start=1):
        if not validate_key(key):
            raise ConfigError(
                f"CLOSEDSET_ENCRYPTION_KEY: key {position} is not a valid key; generate one with "
                "`closedset keygen` (several keys: newest first, comma-separated)."
            )
    return keys


def validate_key(key: str) -> bool:
    """Whether `key` is an encryption key (`bot.crypto`: a Fernet key, 32 bytes in URL-safe
    base64). Checked here so that a bad key is reported as a config error, not a crash at first
    use."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False
