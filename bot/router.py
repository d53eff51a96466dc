"""A small router tree for one-step commands and buttons (after aiogram's dispatch core).

Handlers are ``async def handler(ctx) -> list[Reply]``. A router holds commands (``/anak``),
callback prefixes (``c:``) and child routers; middlewares share one signature,
``async def middleware(handler, ctx) -> list[Reply]``, and wrap every handler of their router
and its children.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from bot.context import Context
from bot.core import Reply

Handler = Callable[[Context], Awaitable[list[Reply]]]
Middleware = Callable[[Handler, Context], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    roles: tuple[str, ...] | None  # None: anyone, registered or not
    keeps_flow: bool  # a running conversation goes on after this command

    def allows(self, role: str | None) -> bool:
        return self.roles is None or role in self.roles


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self._commands: dict[str, Route] = {}
        self._callbacks: list[tuple[str, Route]] = []
        self._children: list[Router] = []
        self._middlewares: list[Middleware] = []

    def command(self, *names: str, roles: tuple[str, ...] | None = None, keeps_flow: bool = False):
        def register(handler: Handler) -> Handler:
            for name in names:
                self._commands["/" + name.lstrip("/")] = Route(handler, roles, keeps_flow)
            return handler

        return register

    def callback(self, prefix: str, roles: tuple[str, ...] | None = None):
        def register(handler: Handler) -> Handler:
            self._callbacks.append((prefix, Route(handler, roles, False)))
            return handler

        return register

    def middleware(self, middleware: Middleware) -> Middleware:
        self._middlewares.append(middleware)
        return middleware

    def include(self, *routers: Router) -> None:
        self._children.extend(routers)

    def find_command(self, name: str) -> Route | None:
        return self._find(lambda r: r._commands.get(name))

    def find_callback(self, payload: str) -> Route | None:
        def match(router: Router) -> Route | None:
            for prefix, route in router._callbacks:
                if payload.startswith(prefix):
                    return route
            return None

        return self._find(match)

    def _find(self, match: Callable[[Router], Route | None]) -> Route | None:
        route = match(self)
        if route is not None:
            return self._wrapped(route)
        for child in self._children:
            route = child._find(match)
            if route is not None:
                return self._wrapped(route)
        return None

    def _wrapped(self, route: Route) -> Route:
        handler = route.handler
        for middleware in reversed(self._middlewares):
            handler = partial(middleware, handler)
        return Route(handler, route.roles, route.keeps_flow)

    def commands(self) -> list[str]:
        names = list(self._commands)
        for child in self._children:
            names.extend(child.commands())
        return names
