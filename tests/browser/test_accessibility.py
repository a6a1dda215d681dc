"""axe-core (from npm, served from the vendor folder) finds no critical or serious violation
on any page the screenshots cover, each as the person who works there, once it has drawn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.test_screenshots import SHOTS, Shot, open_shot

pytestmark = pytest.mark.browser

SEVERE = ("critical", "serious")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The critical and serious violations axe finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + n.failureSummary)
            }));
        }"""
    )
    return [v for v in found if v["impact"] in SEVERE]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    )


@pytest.mark.parametrize("shot", SHOTS, ids=lambda s: s.name)
def test_axe_finds_no_serious_violation(
    live_server: str, ykt: Callable[..., str], page: Page, shot: Shot
) -> None:
    open_shot(live_server, ykt, page, shot)
    violations = axe_violations(page)
    assert not violations, describe(violations)
