"""The reference imports and the ledger's answer a damaged file named .xlsx alike: it is not
an Excel workbook (never "not a text table")."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.web_helpers import form_tokens


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys.json"
    monkeypatch.setenv("YKT_COMPARISON_KEY_FILE", str(path))
    return path


@pytest.mark.parametrize("kind", ["households", "places", "programmes"])
def test_a_damaged_workbook_gets_the_workbook_message(
    as_user: Callable[[str], FlaskClient], kind: str
) -> None:
    admin = as_user("admin")
    path = f"/admin/reference/import/{kind}"
    damaged = bytes(range(256)) * 8  # random-looking bytes, NUL among them
    answer = admin.post(
        path,
        data={**form_tokens(admin, path), "file": (io.BytesIO(damaged), "户.xlsx")},
        content_type="multipart/form-data",
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "文件不是 Excel 工作簿（.xlsx）" in page and "文本表格" not in page
