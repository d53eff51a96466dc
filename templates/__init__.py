"""Every text a user reads: Jinja2 templates per locale, rendered with HTML autoescape.

Layout: ``templates/<locale>/<name>.j2`` for messages, and ``templates/<locale>/labels.j2`` whose
macros are the short texts (button labels, category names): ``label("id", "yes")``. Indonesian
(``id``) is the default locale and the fallback for a name a locale lacks. Output is Telegram HTML:
values are escaped, so a child named ``<b>`` is shown, not obeyed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

ROOT = Path(__file__).parent
LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"


def _decimal_comma(value, digits: int = 1) -> str:
    """7.5 -> "7,5" for Indonesian readers; English keeps the point."""
    return f"{value:.{digits}f}"


@cache
def environment(locale: str) -> Environment:
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    search = [str(ROOT / locale)]
    if locale != DEFAULT_LOCALE:
        search.append(str(ROOT / DEFAULT_LOCALE))
    env = Environment(
        loader=FileSystemLoader(search),
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Templates ship with the code and never change under a running bot: no stat() of the
        # file at every render.
        auto_reload=False,
    )
    env.globals["locale"] = locale
    env.filters["num"] = (
        (lambda v, d=1: _decimal_comma(v, d).replace(".", ","))
        if locale == "id"
        else _decimal_comma
    )
    return env


def render(locale: str, name: str, /, **values) -> str:
    """Render ``<locale>/<name>.j2`` to Telegram HTML (stripped of surrounding blank lines)."""
    return environment(locale).get_template(f"{name}.j2").render(**values).strip()


@cache
def _labels(locale: str):
    return environment(locale).get_template("labels.j2").module


def label(locale: str, name: str, *args) -> str:
    """A short text (button, category) as plain text, not HTML."""
    value = getattr(_labels(locale), name)(*args)
    return Markup(str(value)).unescape().strip()
