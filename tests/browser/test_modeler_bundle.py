"""The modeler deploys the diagram with the DMN files chosen beside it, and names a hostile
decision table's cells without deploying anything."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

OpenAs = Callable[[str], Page]
BUNDLES = Path(__file__).resolve().parent.parent / "engine" / "conformance" / "bundles"


def _deploy(admin: Page) -> None:
    admin.get_by_role("button", name="校验并部署为新版本").click()
    admin.get_by_role("dialog", name="确认部署").get_by_role("button", name="确定部署").click()


def test_the_modeler_deploys_a_decision_table_with_the_diagram(open_as: OpenAs) -> None:
    admin = open_as("admin")
    origin = re.match(r"^https?://[^/]+", admin.url)
    assert origin is not None
    admin.goto(origin.group(0) + "/admin/modeler?key=spot_check")
    expect(admin.locator("#modeler[data-ready=true]")).to_be_attached()
    chooser = admin.get_by_label("随流程图一起部署的文件（可多选）：")
    result = admin.locator("#deploy-result")

    chooser.set_input_files(str(BUNDLES / "hostile_cells.dmn"))
    _deploy(admin)
    expect(result).to_contain_text("未部署，请修改以下问题")
    expect(result).to_contain_text("r0_hostile_cells_in0：〔hostile_cells.dmn〕第 1 行的条件")

    chooser.set_input_files(str(BUNDLES / "grade_unique.dmn"))
    _deploy(admin)
    expect(result).to_have_text(
        re.compile(r"^已部署：\S+ 第\d+版(（内容未变化）)?；同时部署：决策 grade_unique 第1版$")
    )
