"""`ykt supervise`, `ykt inspection`, `ykt accountability`, `ykt evaluation`: the office's
专项督办, 明察暗访, 问责 and 回访 from the command line, as the person named with --as sees and
does them on the pages (the same services; the tasks they start are done in the inbox or
through the API)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import click

from campaign import accountability, accounts, evaluations, inspections, problems, supervision
from campaign.models.accountability import ACCOUNTABILITY_STATUS_LABELS, CONDUCTS, MEASURES
from campaign.models.accounts import Role
from campaign.models.evaluations import METHODS, MONEY, SATISFACTION
from campaign.models.supervision import SUPERVISION_SOURCES
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost
from cli.context import AppContext, friendly_errors, pass_app
from core import paging
from core.errors import NotAllowed

AS_USER = click.option("--as", "username", required=True, help="以此用户的身份和范围办理")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="输出 JSON（每项一个对象）")


def _print(
    rows: Iterable[dict[str, Any]],
    as_json: bool,
    line: Callable[[dict[str, Any]], str],
    *,
    more: bool = False,
) -> None:
    """The rows as JSON or a line each, then how many; `more`: the list holds only the first
    rows (core.paging.first_rows), which is said on stderr (--json's output stays a list)."""
    listed = list(rows)
    if as_json:
        click.echo(json.dumps(listed, ensure_ascii=False, indent=1, default=str))
    else:
        for row in listed:
            click.echo(line(row))
        click.echo(f"共 {len(listed)} 项")
    if more:
        click.echo(
            f"只列出了最新的 {paging.LISTED_IN_FULL} 项，另有更早的：请用筛选条件缩小范围，"
            "或用 API 分页查看",
            err=True,
        )


@click.group("supervise", help="专项督办：下发督办单、查看各承办单位的督办事项。")
def supervise_group() -> None:
    pass


@supervise_group.command("issue", help="下发督办单（领导小组办公室），每个承办单位一项进入其待办。")
@click.option("--source", required=True, type=click.Choice(list(SUPERVISION_SOURCES)), help="来源")
@click.option("--ref", "source_ref", default="", help="批示件号或报道出处")
@click.option("--summary", required=True, help="督办事项")
@click.option("--unit", "units", multiple=True, required=True, help="承办单位代码，可多次给出")
@click.option("--deadline", required=True, help="办理期限 YYYY-MM-DD")
@AS_USER
@pass_app
@friendly_errors
def issue(
    app: AppContext,
    source: str,
    source_ref: str,
    summary: str,
    units: tuple[str, ...],
    deadline: str,
    username: str,
) -> None:
    data = {
        "source": source,
        "source_ref": source_ref,
        "summary": summary,
        "units": list(units),
        "deadline": deadline,
    }
    with app.transaction() as session:
        user = accounts.user_by_name(session, username)
        order = supervision.issue(session, CampaignHost(), user, data)
        names = "、".join(p.unit.name for p in order.parts)
        line = f"已下发督办单 {order.number}：{names}，期限 {order.deadline}"  # as stored
    click.echo(line)


@supervise_group.command(
    "list",
    help=f"督办事项（新的在前，最多 {paging.LISTED_IN_FULL} 项；单位只看本单位的）。",
)
@click.option("--state", default="", type=click.Choice(["", *supervision.STATES]), help="状态")
@click.option("--source", default="", type=click.Choice(["", *SUPERVISION_SOURCES]), help="来源")
@click.option("--unit", "unit_code", default="", help="承办单位代码")
@AS_USER
@AS_JSON
@pass_app
@friendly_errors
def list_parts(
    app: AppContext, state: str, source: str, unit_code: str, username: str, as_json: bool
) -> None:
    with app.reading() as session:
        user = accounts.user_by_name(session, username)
        unit_id = unit_by_code(session, unit_code).id if unit_code else None
        parts, more = paging.first_rows(
            session,
            supervision.parts_query(session, user, state=state, source=source, unit_id=unit_id),
        )
        late = supervision.overdue_part_ids(session, parts)
        rows = [
            {
                "number": p.supervision.number,
                "source": SUPERVISION_SOURCES.get(p.supervision.source, p.supervision.source),
                "unit": p.unit.code,
                "unit_name": p.unit.name,
                "deadline": p.deadline.isoformat(),
                "state": "overdue" if p.id in late else p.status,
                "summary": p.supervision.summary,
            }
            for p in parts
        ]
    _print(
        rows,
        as_json,
        lambda r: (
            f"{r['number']} {r['source']} {r['unit_name']}（{r['unit']}）期限 {r['deadline']} "
            f"{supervision.STATES.get(r['state'], r['state'])}：{r['summary'][:40]}"
        ),
        more=more,
    )


@click.group("inspection", help="明察暗访：登记一次暗访、查看历次暗访。")
def inspection_group() -> None:
    pass


@inspection_group.command(
    "start", help="登记一次明察暗访（领导小组办公室）；发现在待办中逐条登记。"
)
@click.option("--date", "visited_on", required=True, help="暗访日期 YYYY-MM-DD")
@click.option("--places", required=True, help="暗访地点")
@click.option("--team", required=True, help="暗访人员")
@AS_USER
@pass_app
@friendly_errors
def start(app: AppContext, visited_on: str, places: str, team: str, username: str) -> None:
    data = {"visited_on": visited_on, "places": places, "team": team}
    with app.transaction() as session:
        visit = inspections.start(
            session, CampaignHost(), accounts.user_by_name(session, username), data
        )
        line = f"已登记明察暗访 {visit.number}（{visit.visited_on}）：{places}"
    click.echo(line)


@inspection_group.command("list", help="历次明察暗访（新的在前）及其发现的问题数。")
@AS_USER
@AS_JSON
@pass_app
@friendly_errors
def list_inspections(app: AppContext, username: str, as_json: bool) -> None:
    with app.reading() as session:
        user = accounts.user_by_name(session, username)
        if not user.has_role(Role.SUPERVISOR.value):
            raise NotAllowed("只有领导小组办公室可以查看明察暗访")
        rows = [
            {
                "number": v.number,
                "visited_on": v.visited_on.isoformat(),
                "places": v.places,
                "team": v.team,
                "status": v.status,
                "problems": n,
            }
            for v, n in inspections.listed(session)
        ]
    _print(
        rows,
        as_json,
        lambda r: f"{r['number']} {r['visited_on']} {r['places']}，发现问题 {r['problems']} 个",
    )


@click.group("accountability", help="问责：提出问责建议、查看问责决定。")
def accountability_group() -> None:
    pass


@accountability_group.command(
    "propose", help="提出问责建议（领导小组办公室），依据逾期事项或被退回的报告。"
)
@click.option("--unit", "unit_code", required=True, help="被问责单位代码")
@click.option("--person", "person_name", default="", help="被问责人姓名（对单位问责的不给）")
@click.option("--post", "person_post", default="", help="职务")
@click.option("--conduct", required=True, type=click.Choice(list(CONDUCTS)), help="问题性质")
@click.option("--measure", required=True, type=click.Choice(list(MEASURES)), help="问责方式")
@click.option("--grounds", required=True, help="问责事由")
@click.option(
    "--overdue-item", "overdue_items", multiple=True, type=int, help="依据：逾期的待办编号"
)
@click.option(
    "--returned-report", "returned_reports", multiple=True, type=int, help="依据：被退回的报告编号"
)
@AS_USER
@pass_app
@friendly_errors
def propose(
    app: AppContext,
    unit_code: str,
    person_name: str,
    person_post: str,
    conduct: str,
    measure: str,
    grounds: str,
    overdue_items: tuple[int, ...],
    returned_reports: tuple[int, ...],
    username: str,
) -> None:
    data = {
        "unit": unit_code,
        "person_name": person_name,
        "person_post": person_post,
        "conduct": conduct,
        "measure": measure,
        "grounds": grounds,
        "overdue_items": [str(i) for i in overdue_items],
        "returned_reports": [str(i) for i in returned_reports],
    }
    with app.transaction() as session:
        user = accounts.user_by_name(session, username)
        decision = accountability.propose(session, CampaignHost(), user, data)
        grounds_count = len(decision.grounds_items)
        line = f"已提出问责建议 {decision.number}：{decision.unit.name}，依据 {grounds_count} 项"
    click.echo(line)


@accountability_group.command("list", help="问责（新的在前；单位只看已作出的、关于本单位的决定）。")
@click.option("--status", default="", type=click.Choice(["", *ACCOUNTABILITY_STATUS_LABELS]))
@AS_USER
@AS_JSON
@pass_app
@friendly_errors
def list_decisions(app: AppContext, status: str, username: str, as_json: bool) -> None:
    with app.reading() as session:
        user = accounts.user_by_name(session, username)
        decisions, more = paging.first_rows(
            session, accountability.listed_query(session, user, status)
        )
        rows = [
            {
                "number": d.number,
                "unit": d.unit.code,
                "unit_name": d.unit.name,
                "person": d.person_name,
                "measure": MEASURES.get(d.measure, d.measure),
                "status": ACCOUNTABILITY_STATUS_LABELS.get(d.status, d.status),
                "grounds": [g.described for g in d.grounds_items],
            }
            for d in decisions
        ]
    _print(
        rows,
        as_json,
        lambda r: (
            f"{r['number']} {r['unit_name']}{(' ' + r['person']) if r['person'] else ''} "
            f"{r['measure']} {r['status']}"
        ),
        more=more,
    )


@click.group("evaluation", help="效果评估：对已销号的问题安排回访、查看回访结果。")
def evaluation_group() -> None:
    pass


@evaluation_group.command("request", help="对已销号的问题安排回访（领导小组办公室）。")
@click.argument("problem_number")
@click.option("--method", required=True, type=click.Choice(list(METHODS)), help="方式")
@click.option("--due", "due_on", required=True, help="完成期限 YYYY-MM-DD")
@AS_USER
@pass_app
@friendly_errors
def request_visit(
    app: AppContext, problem_number: str, method: str, due_on: str, username: str
) -> None:
    with app.transaction() as session:
        user = accounts.user_by_name(session, username)
        problem = problems.by_number(session, problem_number)
        evaluation = evaluations.request_visit(
            session, CampaignHost(), user, problem.id, {"method": method, "due_on": due_on}
        )
        line = f"已安排回访：{problem.number}，{METHODS[evaluation.method]}，期限 {due_on}"
    click.echo(line)


@evaluation_group.command("list", help="效果评估（新的在前；单位只看本单位的）。")
@click.option("--status", default="", type=click.Choice(["", "visiting", "overdue", "done"]))
@click.option("--satisfaction", default="", type=click.Choice(["", *SATISFACTION]))
@click.option("--money", default="", type=click.Choice(["", *MONEY]))
@AS_USER
@AS_JSON
@pass_app
@friendly_errors
def list_evaluations(
    app: AppContext, status: str, satisfaction: str, money: str, username: str, as_json: bool
) -> None:
    with app.reading() as session:
        user = accounts.user_by_name(session, username)
        found, more = paging.first_rows(
            session,
            evaluations.listed_query(
                session, user, status=status, satisfaction=satisfaction, money=money
            ),
        )
        rows = [
            {
                "problem": e.problem.number,
                "unit": e.unit.code,
                "method": METHODS.get(e.method, e.method),
                "due_on": e.due_on.isoformat(),
                "status": e.status,
                "satisfaction": SATISFACTION.get(e.satisfaction, ""),
                "money": MONEY.get(e.money, ""),
            }
            for e in found
        ]
    _print(
        rows,
        as_json,
        lambda r: (
            f"{r['problem']} {r['unit']} {r['method']} 期限 {r['due_on']} "
            + (
                "已回访 " + r["satisfaction"] + " " + r["money"]
                if r["status"] == "done"
                else "待回访"
            )
        ),
        more=more,
    )
