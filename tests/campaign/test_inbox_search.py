"""我的待办's search finds a report's task as its row reads (自查自纠月报 · 2022-05): the box
says 编号或内容, and 月报, 自查自纠 or 2022-05 found nothing though the rows were there."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from campaign import inbox, obligations, problems
from campaign.workflow_host import CampaignHost
from tests.campaign.conftest import registration, user


def _found(session: Session, q: str, username: str = "qsz_jbr") -> list[tuple[str, str]]:
    page = inbox.page(session, user(session, username), "open", inbox.InboxFilters(q=q))
    return [(row.subject, row.detail) for row in page.rows]


def test_a_report_is_found_by_its_name_its_period_or_both(db_session: Session) -> None:
    obligations.start_due(db_session, CampaignHost(), today=date(2022, 6, 15))
    monthly = _found(db_session, "月报")
    assert monthly and all("月报" in subject for subject, _ in monthly)
    assert _found(db_session, "自查自纠") == monthly
    may = _found(db_session, "2022-05")
    assert may and all(detail.startswith("2022-05") for _, detail in may)
    both = _found(db_session, "月报 2022-05")
    assert both and set(both) <= set(monthly) and set(both) <= set(may)
    assert _found(db_session, "月报 2099-01") == []
    assert _found(db_session, "没有这样的报告") == []
    # Wildcards are text: a % finds only a name holding one.
    assert _found(db_session, "%") == [] and _found(db_session, "_") == []


def test_problems_are_still_found_by_their_own_words(db_session: Session) -> None:

    problems.register(
        db_session,
        CampaignHost(),
        user(db_session, "qsz_jbr"),
        "QSZ",
        registration(description="村会计截留耕地地力保护补贴"),
    )
    obligations.start_due(db_session, CampaignHost(), today=date(2022, 6, 15))
    found = _found(db_session, "截留耕地", "qsz_fzr")  # the registration's 审核
    assert len(found) == 1 and "截留耕地" in found[0][1]


def test_a_summary_is_found_by_its_own_name(db_session: Session) -> None:
    """阶段性工作总结 and 年度工作总结 share a diagram (工作总结): each row reads its own name,
    and the search finds it by that name, alone or with its period."""
    obligations.start_due(db_session, CampaignHost(), today=date(2022, 6, 15))
    assert [s for s, _ in _found(db_session, "阶段性")] == ["阶段性工作总结"]
    assert [s for s, _ in _found(db_session, "年度工作总结 2022")] == ["年度工作总结"]
    both = sorted(s for s, _ in _found(db_session, "工作总结"))
    assert both == ["年度工作总结", "阶段性工作总结"]
    assert _found(db_session, "阶段性 2099") == []
