"""The menu each person sees, built from the roles they hold, with counts of waiting work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for
from flask_login import current_user

from campaign import case_starts, inbox, notifications, village_visits
from campaign.models.accounts import REPORT_ROLES, WORKING_ROLES, Role
from web import campaign_choice, db
from web.common import HOST, me


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    prefix: str
    count: int = 0


def init_app(app: Flask) -> None:
    app.context_processor(_navigation)


def _navigation() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {"nav": None}
    roles = {r.role for r in current_user.roles}
    session = db.session()
    menu: list[MenuItem] = []
    if roles & set(WORKING_ROLES):
        waiting = inbox.open_count(session, current_user, campaign_choice.chosen_id_if_any())
        menu.append(MenuItem("我的待办", url_for("inbox.index"), "/inbox", waiting))
        menu.append(MenuItem("问题台账", url_for("ledger.index"), "/ledger"))
        if case_starts.may_start_any(session, HOST, me()):
            menu.append(MenuItem("发起流程", url_for("cases.index"), "/cases"))
        menu.append(MenuItem("群众举报", url_for("tip_offs.index"), "/tip-offs"))
        menu.append(MenuItem("专项督办", url_for("supervision.index"), "/supervision"))
        menu.append(MenuItem("问责", url_for("accountability.index"), "/accountability"))
        menu.append(MenuItem("回访", url_for("evaluations.index"), "/evaluations"))
        if village_visits.townships_of(session, current_user):
            menu.append(MenuItem("自查走访", url_for("spot_checks.visits"), "/visits"))
    if Role.SUPERVISOR.value in roles:
        menu.append(MenuItem("督办", url_for("supervise.index"), "/supervise"))
        menu.append(MenuItem("明察暗访", url_for("inspections.index"), "/inspections"))
    if roles & {Role.SUPERVISOR.value, Role.ADMIN.value}:
        menu.append(MenuItem("数据比对", url_for("comparison.index"), "/comparison"))
    if roles & set(REPORT_ROLES):
        menu.append(MenuItem("报送管理", url_for("obligations.index"), "/obligations"))
        menu.append(MenuItem("统计报表", url_for("reports.index"), "/reports"))
    if Role.ADMIN.value in roles:
        menu.append(MenuItem("流程定义", url_for("admin.definitions"), "/admin/definitions"))
        menu.append(MenuItem("单位", url_for("admin.units"), "/admin/units"))
        menu.append(MenuItem("基础数据", url_for("admin.programmes_page"), "/admin/reference"))
    if Role.SECURITY.value in roles:
        menu.append(MenuItem("账户和角色", url_for("admin.users"), "/admin/users"))
    if Role.AUDITOR.value in roles:
        menu.append(MenuItem("审计日志", url_for("audit_log.index"), "/audit"))
    menu.append(MenuItem("公示", url_for("public.index"), "/public"))
    unread = notifications.unread_count(session, current_user)
    return {"nav": {"menu": menu, "unread": unread}}
