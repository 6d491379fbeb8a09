"""The contract with a field app: JSON Schemas (draft 2020-12) of an import file and of each line
`exactsync export` prints. They ship in the package (exactsync/fieldapp/schemas/) and are printed by
`exactsync workorder import --schema` and `exactsync export --schema`; the tests hold the commands to
them. Nothing at run time validates with them: the importer's own checks say what is wrong, by entry
and field, in the reader's language."""

from __future__ import annotations

import json
from importlib import resources

IMPORT = "import.schema.json"
EXPORT = "export.schema.json"


def text(name: str) -> str:
    return resources.files("exactsync.fieldapp").joinpath("schemas", name).read_text(encoding="utf-8")


def load(name: str) -> dict:
    return json.loads(text(name))
