"""Every task form, by key, loaded once from forms/definitions/*.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from forms.definition import Form, FormDefinitionError

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"


@cache
def all_forms() -> dict[str, Form]:
    forms: dict[str, Form] = {}
    for path in sorted(DEFINITIONS_DIR.glob("*.json")):
        form = Form.from_json(json.loads(path.read_text(encoding="utf-8")))
        if form.key != path.stem:
            raise FormDefinitionError(f"{path.name}：文件名须与表单 key（{form.key}）一致")
        forms[form.key] = form
    return forms


def get(key: str) -> Form | None:
    return all_forms().get(key)


def known(key: str) -> bool:
    return key in all_forms()
