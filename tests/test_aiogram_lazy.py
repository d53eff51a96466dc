"""aiogram imported through ``bot.platforms.aiogram_lazy``: its Telegram types stay unbuilt until
used, and each one, once built, has exactly the schema an ordinary import gives it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# "lazy" and "first-use" import aiogram the way the aiogram runtime does; "eager" as usual.
# "first-use" reports how many types the import left unbuilt and which ones one update built;
# "lazy" and "eager" print every type's core schema in a canonical layout, object addresses
# and ids masked.
SCRIPT = r"""
import json, re, sys
if sys.argv[1] != "eager":
    import bot.platforms.aiogram_adapter
    from bot.platforms import aiogram_lazy
import aiogram.types as types

MODELS = [getattr(types, name) for name in types.__all__
          if isinstance(getattr(types, name), type) and hasattr(getattr(types, name), "model_rebuild")]


def first_use():
    complete = lambda: sorted(t.__name__ for t in MODELS if t.__pydantic_complete__)
    report = {"deferred": len(aiogram_lazy.DEFERRED), "complete_after_import": complete()}
    update = types.Update.model_validate({
        "update_id": 7, "message": {
            "message_id": 3, "date": 1700000000, "text": "/menu",
            "chat": {"id": 5, "type": "private", "first_name": "Sri"},
            "from": {"id": 5, "is_bot": False, "first_name": "Sri", "language_code": "id"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    })
    report["parsed"] = [update.message.chat.id, update.message.from_user.language_code,
                        update.message.entities[0].type]
    report["complete_after_use"] = complete()
    return report


# The schema with every model as a reference into one table of definitions: pydantic inlines a
# model used once and keeps a shared one apart, a choice of layout that depends on what was
# built before.
def canonical(schema):
    table = {}

    def walk(node):
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if node.get("type") == "definitions":
            for definition in node["definitions"]:
                walk(definition)
            return walk(node["schema"])
        if node.get("type") == "definition-ref":
            return {"ref": node["schema_ref"]}
        if "ref" in node:
            if node["ref"] not in table:
                table[node["ref"]] = None  # a model that contains itself
                table[node["ref"]] = walk({k: v for k, v in node.items() if k != "ref"})
            return {"ref": node["ref"]}
        return {key: walk(value) for key, value in node.items()}

    root = walk(schema)
    return repr((root, sorted(table.items())))


def schema_of(model):
    model.__pydantic_validator__.validate_python  # builds a deferred type, as a first use does
    return re.sub(r" at 0x[0-9a-f]+|:[0-9]+'", "'", canonical(model.__pydantic_core_schema__))


def schemas():
    return {model.__name__: schema_of(model) for model in MODELS}


print(json.dumps(first_use() if sys.argv[1] == "first-use" else schemas()))
"""


def run(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_import_builds_no_type_and_an_update_builds_its_own():
    report = run("first-use")
    assert report["deferred"] > 300  # aiogram 3.31 exports about 400 types
    assert report["complete_after_import"] == []
    assert report["parsed"] == [5, "id", "bot_command"]
    # The types inside an update are compiled into its own schema, not built on their own.
    assert report["complete_after_use"] == ["Update"]


def test_every_type_builds_to_the_schema_of_an_ordinary_import():
    lazy, eager = run("lazy"), run("eager")
    assert len(lazy) > 300 and lazy.keys() == eager.keys()
    assert [name for name, schema in lazy.items() if schema != eager[name]] == []


def test_importing_again_changes_nothing():
    from bot.platforms import aiogram_lazy

    assert aiogram_lazy.import_aiogram() == []
