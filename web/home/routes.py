"""工作台: what each person has to do (to-do, overdue, recently done) and the work their roles
start, on the first page they see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from campaign import case_starts, current, inbox
from campaign.models import User
from campaign.models.accounts import REPORT_ROLES, WORKING_ROLES, Role
from core import clock
from web import campaign_choice, db
from web.authz import allow
from web.common import HOST, me

bp = Blueprint("home", __name__)

SHOWN = 8  # rows of each list; the inbox has the rest


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    hint: str = ""


@bp.route("/")
@allow()
def index() -> str:
    session = db.session()
    campaign = current.campaign_in_progress(session)
    user = me()
    works = bool({r.role for r in user.roles} & {r.value for r in WORKING_ROLES})
    lists = {}
    shown = campaign_choice.chosen_id_if_any()
    if works:
        for tab in ("open", "overdue", "done"):
            lists[tab] = inbox.page(session, user, tab, inbox.InboxFilters(), 1, campaign_id=shown)
    return render_template(
        "home/index.html",
        user=current_user,
        campaign=campaign,
        today=clock.local_now().date(),
        lists=lists,
        shown=SHOWN,
        actions=_actions(user),
    )


def _actions(user: User) -> list[Action]:
    """What the person's roles start or look after, in the order of a working day."""
    roles = {r.role for r in user.roles}
    actions = []
    if Role.OFFICER.value in roles:
        actions.append(Action("登记问题", url_for("ledger.new"), "把发现的问题登记到台账"))
        actions.append(Action("从 Excel 导入", url_for("ledger.import_sheet"), "成批登记问题"))
    if roles & {r.value for r in WORKING_ROLES}:
        for offered in case_starts.startable(db.session(), HOST, user):
            actions.append(
                Action(
                    f"发起{offered.definition.name}",
                    url_for("cases.start", key=offered.definition.key),
                    "如月报、抽查报告等",
                )
            )
    if Role.SUPERVISOR.value in roles:
        actions.append(Action("督办", url_for("supervise.index"), "逾期事项和各单位进度"))
    if roles & {r.value for r in REPORT_ROLES}:
        actions.append(Action("统计报表", url_for("reports.index"), "附件2、附件3 及报送"))
    if Role.ADMIN.value in roles:
        actions.append(Action("流程定义", url_for("admin.definitions"), "编辑和部署流程图"))
    if Role.SECURITY.value in roles:
        actions.append(Action("账户和角色", url_for("admin.users"), "新建用户、授予角色"))
    if Role.AUDITOR.value in roles:
        actions.append(Action("审计日志", url_for("audit_log.index"), "查阅和筛选审计记录"))
    return actions


@bp.get("/favicon.ico")
@allow(public=True)
def favicon() -> Response:
    """Browsers ask for it on every site, whatever the page links. Read once, served from
    memory (a few hundred bytes)."""
    return Response(
        _FAVICON,
        mimetype="image/vnd.microsoft.icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


_FAVICON = (Path(__file__).resolve().parents[1] / "static" / "favicon.ico").read_bytes()
