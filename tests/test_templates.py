"""Every text is a template in both locales, and values are HTML-escaped."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import templates

ROOT = Path(templates.__file__).parent


def names(locale: str) -> set[str]:
    return {str(p.relative_to(ROOT / locale)) for p in (ROOT / locale).rglob("*.j2")}


def test_both_locales_have_the_same_templates():
    assert names("id") == names("en")


# A block tag ending a line whose newline trim_blocks drops (``+%}`` keeps it).
_BLOCK_TAG_AT_END = re.compile(r"\{%-?\s*(if|elif|else|for|endif|endfor)\b(?:(?!%\}).)*[^+]%\}$")
_TAGS_ONLY = re.compile(r"(\{%(?:(?!%\}).)*%\}\s*)+")


def test_no_line_of_text_runs_into_the_next():
    """With ``trim_blocks`` the newline after a block tag is dropped: a line of text that ends
    in ``{% endif %}`` or ``{% if x %}`` would run into the next one ("hamil 24 mingguTanda: ...",
    "rujuk ke bidan.📨 Bidan desa ..."). Such a line ends in ``+%}``, which keeps its newline."""
    offenders = []
    for path in sorted(ROOT.rglob("*.j2")):
        lines = path.read_text().split("\n")
        for number, (line, following) in enumerate(zip(lines, lines[1:], strict=False), start=1):
            text = line.rstrip()
            if (_BLOCK_TAG_AT_END.search(text) and not _TAGS_ONLY.fullmatch(text.strip())
                    and following.strip() and not following.lstrip().startswith("{%")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def test_child_named_like_a_tag_is_shown_not_obeyed():
    child = SimpleNamespace(name="<b>Ani</b> & co", sex="P", birth_date=dt.date(2025, 1, 2),
                            mother_name="<i>x</i>")
    text = templates.render("id", "children/view", child=child, months=3, user=None, latest=None,
                            history=[], label=None)
    assert "&lt;b&gt;Ani&lt;/b&gt; &amp; co" in text and "<i>x</i>" not in text
    assert text.startswith("<b>")  # the template's own markup stays


def test_labels_are_plain_text():
    assert templates.label("id", "role", "kader") == "Kader posyandu"
    assert templates.label("en", "command", "anak") == "Children"
    assert templates.label("id", "place_area", "kecamatan", "A & B") == "Kecamatan A & B"


def test_decimal_comma_filter():
    env_id, env_en = templates.environment("id"), templates.environment("en")
    assert env_id.from_string("{{ 12.345 | num(2) }}").render() == "12,35"
    assert env_id.from_string("{{ 8.5 | num }}").render() == "8,5"
    assert env_en.from_string("{{ 8.5 | num }}").render() == "8.5"


def test_unknown_locale_falls_back_to_indonesian():
    assert templates.render("fr", "flow/cancelled").startswith("Dibatalkan")
