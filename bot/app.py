"""Composition: the router tree, the dispatcher, and the database for a given set of settings."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.router import Router
from bot.settings import Settings
from storage.db import Database


def build_router() -> Router:
    # Importing the conversations registers their flows.
    from bot.conversations import invite as _invite  # noqa: F401
    from bot.conversations import join_family as _join  # noqa: F401
    from bot.conversations import jumat_aksi as _aksi  # noqa: F401
    from bot.conversations import posyandu_schedule as _jadwal  # noqa: F401
    from bot.handlers import children, help, invite, jumat, measure, privacy, schedule, start

    root = Router("root")
    root.include(start.router, help.router, children.router, invite.router)
    root.include(measure.router)
    root.include(jumat.router, schedule.router, privacy.router)
    return root


_ROUTER: Router | None = None


def router() -> Router:
    """The one router tree (flows register once per process)."""
    global _ROUTER
    if _ROUTER is None:
        _ROUTER = build_router()
    return _ROUTER


def build_dispatcher(settings: Settings, db: Database | None = None, **kwargs) -> Dispatcher:
    return Dispatcher(db or Database(settings.database_url), settings, router(), **kwargs)
