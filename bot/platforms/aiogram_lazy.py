"""Import aiogram with its Telegram types built when first used, not all at import.

aiogram declares its ~400 Telegram types with pydantic's ``defer_build`` and then, at the end of
``aiogram.types``, calls ``model_rebuild`` on every one of them to resolve their forward
references. Each rebuild compiles a validator that inlines every type it can reach, so importing
aiogram 3.31 compiled about 130 MB of validators (passports, payments, giveaways ...) of which
a bot receives and sends a handful: the bot's resident memory was 240 MB, over the 200 MB goal
of ``bench/updates.py``, before it had handled an update.

Importing through this module lets ``aiogram.types`` run as written, except that its
``model_rebuild(_types_namespace=...)`` call only records that namespace: on the type (pydantic
resolves a deferred type's names from it when the type is first used) and in the type's own
module (where pydantic looks when the type is reached from another one, e.g. ``Message`` inside
``Response[Message]``). Those are the names the modules import under ``TYPE_CHECKING`` only.
Each type is then compiled by pydantic on first use, from the same names, into the same schema
(``tests/test_aiogram_lazy.py`` compares all of them with an eager import).

Nothing changes when aiogram was imported before this module (the types are built already) or
when aiogram stops calling ``model_rebuild`` that way (the call is passed through).
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

TYPES_PACKAGE = "aiogram.types"


def import_aiogram() -> list[type[BaseModel]]:
    """Import aiogram with lazily built types; returns the types left deferred (none when
    aiogram was already imported)."""
    if "aiogram" in sys.modules:
        return []
    deferred: list[tuple[type[BaseModel], dict[str, Any]]] = []
    eager_rebuild = BaseModel.__dict__["model_rebuild"]

    def rebuild(cls, *, _types_namespace=None, **options):
        if (_types_namespace is not None and not options
                and cls.__module__.startswith(TYPES_PACKAGE + ".")):
            deferred.append((cls, _types_namespace))
            return None
        return eager_rebuild.__func__(cls, _types_namespace=_types_namespace, **options)

    BaseModel.model_rebuild = classmethod(rebuild)
    try:
        import aiogram  # noqa: F401  (runs aiogram.types' rebuild loop through ``rebuild``)
    finally:
        BaseModel.model_rebuild = eager_rebuild
    for cls, namespace in deferred:
        cls.__pydantic_parent_namespace__ = namespace
        module = vars(sys.modules[cls.__module__])
        for name, value in namespace.items():
            module.setdefault(name, value)
    return [cls for cls, _ in deferred]


DEFERRED = import_aiogram()
