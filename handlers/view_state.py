"""Reading a submitted modal's `view.state.values` (block_id → action_id → value)."""

from __future__ import annotations

from typing import Any

from bot.ids import VALUE


def _element(view: dict[str, Any], block: str) -> dict[str, Any]:
    value = view.get("state", {}).get("values", {}).get(block, {}).get(VALUE, {})
    return value if isinstance(value, dict) else {}


def text(view: dict[str, Any], block: str) -> str:
    return str(_element(view, block).get("value") or "")


def users(view: dict[str, Any], block: str) -> tuple[str, ...]:
    return tuple(_element(view, block).get("selected_users") or ())


def conversation(view: dict[str, Any], block: str) -> str | None:
    value = _element(view, block).get("selected_conversation")
    return str(value) if value else None


def checked(view: dict[str, Any], block: str) -> bool:
    return bool(_element(view, block).get("selected_options"))


def time_of_day(view: dict[str, Any], block: str) -> str:
    return str(_element(view, block).get("selected_time") or "")


def conversations(view: dict[str, Any], block: str) -> list[str]:
    return [str(c) for c in _element(view, block).get("selected_conversations") or ()]


def selected(view: dict[str, Any], block: str) -> str | None:
    option = _element(view, block).get("selected_option") or {}
    value = option.get("value") if isinstance(option, dict) else None
    return str(value) if value else None


def date_time(view: dict[str, Any], block: str) -> int | None:
    value = _element(view, block).get("selected_date_time")
    if isinstance(value, int | float):
        return int(value)
    return int(value) if isinstance(value, str) and value.isdigit() else None
