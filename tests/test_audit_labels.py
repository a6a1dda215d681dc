"""Every action the code writes to the audit log has a Chinese name on the audit page (the
auditor reads 撤销角色, not role.revoke)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from campaign.audit import ACTION_LABELS

ROOT = Path(__file__).resolve().parents[1]
WRITERS = {"record", "record_refusal", "event_values"}
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _names(node: ast.expr) -> list[str]:
    """The action names an argument can take: a string, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if ACTION.match(node.value) else []
    if isinstance(node, ast.IfExp):
        return _names(node.body) + _names(node.orelse)
    return []


def _recorded_actions() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("campaign", "web", "cli", "engine", "core"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in WRITERS:
                    for argument in node.args[:2]:  # (session, action, ...) or (action, ...)
                        for action in _names(argument):
                            found.setdefault(action, str(path.relative_to(ROOT)))
    return found


def test_every_recorded_action_has_a_name_on_the_audit_page() -> None:
    recorded = _recorded_actions()
    assert {"auth.login", "role.revoke", "account.approve", "account.refuse"} <= set(recorded)
    unnamed = {action: path for action, path in recorded.items() if action not in ACTION_LABELS}
    assert unnamed == {}
