"""The modeler speaks Chinese (palette, context pad, properties panel) and its palette does
not cover the diagram."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

OpenAs = Callable[[str], Page]
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
ALLOWED = {"Camunda", "Form", "key", "BPMN", "QName", "Java"}


def test_the_modeler_is_chinese_and_its_palette_clears_the_diagram(open_as: OpenAs) -> None:
    admin = open_as("admin")
    admin.goto(admin.url.rstrip("/") + "/admin/modeler?key=problem_lifecycle")
    expect(admin.locator("#modeler[data-ready=true]")).to_be_attached()
    expect(admin.get_by_role("heading", level=1)).not_to_contain_text("problem_lifecycle")
    expect(admin.get_by_text("流程图编辑请使用电脑")).to_be_hidden()  # only on a narrow screen

    titles = admin.locator(".djs-palette .entry").evaluate_all(
        "entries => entries.map(e => e.getAttribute('aria-label') || e.title || '')"
    )
    assert len(titles) >= 8 and not [t for t in titles if not t or LATIN_WORD.search(t)], titles

    palette = admin.locator(".djs-palette").bounding_box()
    shapes = admin.locator("#canvas .djs-shape").evaluate_all(
        "shapes => Math.min(...shapes.map(s => s.getBoundingClientRect().left))"
    )
    assert palette is not None and shapes >= palette["x"] + palette["width"], (palette, shapes)

    admin.locator('#canvas .djs-element[data-element-id="review_registration"]').click()
    group_titles = "#properties .bio-properties-panel-group-header-title"
    headers = admin.locator(group_titles).all_inner_texts()
    assert "常规" in headers and "表单" in headers, headers
    english = [h for h in headers if set(LATIN_WORD.findall(h)) - ALLOWED]
    assert not english, english
