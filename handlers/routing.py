"""One Bolt listener per kind of interaction, which finds its handler by id in a dict.

Bolt tries an app's listeners in the order they were registered, and each try builds the
whole set of listener arguments first (about 10 µs here): with a listener per button, the
thirty-fifth button and every modal submission paid for thirty-odd tries before their
acknowledgement. Registered through `Routes`, a click or a submission costs one try and a
dict lookup, whatever its id.

Handlers keep Bolt's style: they name the arguments they want (`ack`, `action`, `body`,
`view`, `respond`, `client`, `context`, `logger`, and `deps` from the context) and get those.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.kwargs_injection.args import Args

Handler = Callable[..., None]

_FROM_ARGS = frozenset({"ack", "action", "body", "view", "respond", "client", "context", "logger"})
_FROM_CONTEXT = frozenset({"deps"})


class Route:
    """A handler and the argument names it asks for, checked when it is registered."""

    __slots__ = ("handler", "names")

    def __init__(self, handler: Handler) -> None:
        names = tuple(inspect.signature(handler).parameters)
        unknown = set(names) - _FROM_ARGS - _FROM_CONTEXT
        if unknown:
            raise TypeError(
                f"{handler.__qualname__} asks for {sorted(unknown)}; a routed handler may ask "
                f"for {sorted(_FROM_ARGS | _FROM_CONTEXT)}"
            )
        self.handler = handler
        self.names = names

    def __call__(self, args: Args) -> None:
        kwargs = {
            name: args.context[name] if name in _FROM_CONTEXT else getattr(args, name)
            for name in self.names
        }
        self.handler(**kwargs)


class Routes:
    """Handlers by exact id, then by id prefix (in the order added), then a fallback."""

    def __init__(self) -> None:
        self._exact: dict[str, Route] = {}
        self._prefixes: list[tuple[str, Route]] = []
        self._fallback: Route | None = None

    def add(self, key: str, handler: Handler) -> None:
        key = str(key)  # a StrEnum member: its value
        if key in self._exact:
            raise ValueError(f"{key!r} is routed twice")
        self._exact[key] = Route(handler)

    def add_prefix(self, prefix: str, handler: Handler) -> None:
        self._prefixes.append((prefix, Route(handler)))

    def fallback(self, handler: Handler) -> None:
        self._fallback = Route(handler)

    def find(self, key: str) -> Route | None:
        route = self._exact.get(key)
        if route is not None:
            return route
        for prefix, candidate in self._prefixes:
            if key.startswith(prefix):
                return candidate
        return self._fallback

    def pattern(self) -> re.Pattern[str]:
        """What Bolt should hand to this table: every id when there is a fallback, else the
        routed ones only (anything else stays unmatched, as it was without the table)."""
        if self._fallback is not None:
            return re.compile(".*", re.DOTALL)
        alternatives = [re.escape(key) + r"\Z" for key in self._exact]
        alternatives += [re.escape(prefix) for prefix, _ in self._prefixes]
        return re.compile("^(?:" + "|".join(alternatives) + ")" if alternatives else "(?!)")


def register_actions(app: App, routes: Routes) -> None:
    """Every `block_actions` click goes to `routes`, by the clicked element's `action_id`."""
    app.block_action(routes.pattern())(_listener(routes, lambda args: args.action, "action_id"))


def register_views(app: App, routes: Routes) -> None:
    """Every `view_submission` of a routed `callback_id` goes to `routes`."""
    app.view_submission(routes.pattern())(_listener(routes, lambda args: args.view, "callback_id"))


def _listener(
    routes: Routes, payload: Callable[[Args], dict[str, Any] | None], key: str
) -> Callable[[Args], None]:
    def route(args: Args) -> None:
        found = routes.find(str((payload(args) or {}).get(key, "")))
        if found is None:  # only without a fallback, and then Bolt would not have matched
            args.ack()
            return
        found(args)

    return route
