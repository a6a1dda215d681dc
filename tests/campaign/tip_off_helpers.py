"""Driving a report from the public through its case, as the office and the unit would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import tasks, tip_off_intake
from campaign.models import TipOff
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import user

ADDRESS = "203.0.113.5"
OFFICE = "ldxz_ban"
UNIT_OFFICER = "qsz_jbr"


def report(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "programme": "P11",
        "township": "QSZ",
        "village": "QSZ01",
        "account": "村干部代领了我家的耕地地力保护补贴，至今没有发给我，我的电话13812345678",
        "contact": "13812345678",
    }
    data.update(overrides)
    return data


ACCEPT = {"accept_decision": "accept"}
ASSIGN = {"responsible_unit": "QSZ", "verify_due": "2022-06-30", "feedback_due": "2022-07-05"}
FOUND_TRUE = {
    "verdict": "true",
    "findings": "经入户核实，村会计代领补贴 3600 元未发放",
    "programme": "P11",
    "village": "QSZ01",
    "focus_item": "3.3",
    "stat_category": "S02",
    "amount": "3600.00",
    "households": "1",
}
FOUND_FALSE = {"verdict": "false", "findings": "经核实，补贴已于 5 月足额发放到户"}
FEEDBACK = {"feedback": "经核实，您反映的问题属实，已责令整改，补贴已补发。"}


def submitted(session: Session, host: CampaignHost, **overrides: Any) -> TipOff:
    return tip_off_intake.submit_from_portal(session, host, report(**overrides), address=ADDRESS)


def open_step(session: Session, tip_off: TipOff) -> WorkItem:
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == tip_off.case_id, WorkItem.state == "open")
    ).all()
    assert len(items) == 1, [i.bpmn_id for i in items]
    return items[0]


def do(
    session: Session, host: CampaignHost, username: str, tip_off: TipOff, data: dict[str, Any]
) -> WorkItem:
    step = open_step(session, tip_off)
    tasks.complete(session, host, user(session, username), step.id, data)
    return step
