"""Composition: the router tree, the dispatcher, and the database for a given set of settings."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.router import Router
from bot.settings import Settings
from storage.db import Database


def build_router() -> Router:
    # Importing the conversations registers their flows.
    from bot.conversations import birth as _lahir  # noqa: F401
    from bot.conversations import broadcast as _siaran  # noqa: F401
    from bot.conversations import invite as _invite  # noqa: F401
    from bot.conversations import join_family as _join  # noqa: F401
    from bot.conversations import jumat_aksi as _aksi  # noqa: F401
    from bot.conversations import loss as _kehilangan  # noqa: F401
    from bot.conversations import posyandu_schedule as _jadwal  # noqa: F401
    from bot.conversations import report as _laporan  # noqa: F401
    from bot.conversations import tpk_screening as _skrining  # noqa: F401
    from bot.conversations import tpk_target as _sasaran  # noqa: F401
    from bot.conversations import tpk_visit as _kunjungan  # noqa: F401
    from bot.handlers import (
        broadcasts,
        children,
        claims,
        help,
        invite,
        jumat,
        measure,
        privacy,
        reports,
        schedule,
        start,
        tanya,
        tips,
        tpk,
    )

    root = Router("root")
    root.include(start.router, help.router, children.router, invite.router)
    root.include(measure.router)
    root.include(jumat.router, schedule.router, privacy.router)
    root.include(broadcasts.router, reports.router)
    root.include(tpk.router)
    root.include(tips.router, claims.router, tanya.router)
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
