"""督办's 月报逾期未报 says which of three things is true: no monthly report is owed yet,
some were owed and every one was filed by its day (各单位均已按时报送), or none is missing now
but some came late. An empty table was read as 按时报送 before any report was owed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import obligations
from campaign.models import Obligation
from campaign.workflow_host import CampaignHost

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")
ON_TIME = "各单位均已按时报送"
NONE_OWED = "尚无应报的月报"


def _unfiled_section(client: FlaskClient) -> str:
    page = client.get("/supervise/").get_data(as_text=True)
    start = page.index("月报逾期未报")
    return page[start : page.index("</section>", start)]


def _may_filed(session: Session, at: datetime) -> None:
    """Every unit's May report (due 23 May) filed at `at`; June's is not due yet on 15 June."""
    obligations.start_due(session, CampaignHost(), today=date(2022, 6, 15))
    for report in session.scalars(
        select(Obligation).where(
            Obligation.deadline_code == "monthly_report", Obligation.period == "2022-05"
        )
    ):
        report.status, report.submitted_at = "submitted", at
    session.commit()


def test_before_any_report_is_owed_it_says_so(as_user: Client) -> None:
    shown = _unfiled_section(as_user("ldxz_ban"))
    assert NONE_OWED in shown and ON_TIME not in shown


def test_reports_filed_by_their_day_are_on_time(db_session: Session, as_user: Client) -> None:
    _may_filed(db_session, datetime(2022, 5, 23, 15, 0, tzinfo=UTC))  # 23:00 in Beijing
    shown = _unfiled_section(as_user("ldxz_ban"))
    assert ON_TIME in shown and NONE_OWED not in shown


def test_reports_filed_late_are_not_on_time(db_session: Session, as_user: Client) -> None:
    _may_filed(db_session, datetime(2022, 5, 23, 16, 30, tzinfo=UTC))  # 24 May in Beijing
    shown = _unfiled_section(as_user("ldxz_ban"))
    assert ON_TIME not in shown and NONE_OWED not in shown
    assert "逾期后补报" in shown


def test_a_unit_still_owing_is_listed(db_session: Session, as_user: Client) -> None:
    obligations.start_due(db_session, CampaignHost(), today=date(2022, 6, 15))
    db_session.commit()
    shown = _unfiled_section(as_user("ldxz_ban"))
    assert "青山镇" in shown and "2022-05" in shown
    assert ON_TIME not in shown and NONE_OWED not in shown


def test_the_whole_table_says_the_same_and_a_search_finding_nobody_says_only_that(
    db_session: Session, as_user: Client
) -> None:
    office = as_user("ldxz_ban")
    whole = office.get("/supervise/list/unfiled").get_data(as_text=True)
    assert NONE_OWED in whole and ON_TIME not in whole
    obligations.start_due(db_session, CampaignHost(), today=date(2022, 6, 15))
    db_session.commit()
    searched = office.get("/supervise/list/unfiled?q=不存在的单位").get_data(as_text=True)
    assert "没有符合条件的单位" in searched
    assert ON_TIME not in searched and NONE_OWED not in searched
