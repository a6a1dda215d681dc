"""The 数字核对 section of the reports page: the leading group office runs the reconciliation
and sees 一致 in green or every finding with links to its records; others never see it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaign import problems
from campaign.models import Problem, User
from campaign.workflow_host import CampaignHost
from tests.campaign.conftest import registration
from tests.ledger_helpers import approve_registrations

Client = Callable[[str], FlaskClient]

pytestmark = pytest.mark.usefixtures("june_2022")


def test_the_office_asks_and_sees_the_figures_agree(db_session: Session, as_user: Client) -> None:
    client = as_user("ldxz_ban")
    page = client.get("/reports/").get_data(as_text=True)
    assert "数字核对" in page and "核对数字" in page and "figures-consistent" not in page
    page = client.get("/reports/?check=1").get_data(as_text=True)
    assert "附件2、附件3与台账一致" in page and "重新核对" in page


def test_a_finding_links_to_its_ledger_entry(db_session: Session, as_user: Client) -> None:
    host = CampaignHost()
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    s12 = problems.register(
        db_session, host, officer, "QSZ", registration(stat_category="S12", cards="5")
    )
    approve_registrations(db_session, host, [s12])
    db_session.execute(update(Problem).where(Problem.id == s12.id).values(cards=0))
    client = as_user("ldxz_ban")
    page = client.get("/reports/?unit=QSZ&check=1").get_data(as_text=True)
    assert "发现 1 处不一致" in page and "附件2、附件3与台账一致" not in page
    assert "违规代管“一卡通”数量为 0 张" in page
    assert f'<a href="/problems/{s12.id}">{s12.number}</a>' in page
    # Another township's scope is not concerned.
    page = client.get("/reports/?unit=BSZ&check=1").get_data(as_text=True)
    assert "附件2、附件3与台账一致" in page


def test_a_unit_reviewer_has_no_such_section(db_session: Session, as_user: Client) -> None:
    page = as_user("qsz_fzr").get("/reports/?check=1").get_data(as_text=True)
    assert "统计报表" in page and "数字核对" not in page
