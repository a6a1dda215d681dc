"""重新打开 on a closed problem's page: a refusal (a date that is no date, a finding left
blank) shows the page again with its reason beside the form and everything typed in it."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from campaign.workflow_host import CampaignHost
from tests.campaign.test_key_checks_and_reopen import closed_problem
from tests.web_helpers import csrf_token

FINDING = "回访发现：农户仍未收到 2022 年耕地地力保护补贴，村会计称“已代为保管”。"


def test_a_refused_reopening_keeps_what_was_typed(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    problem = closed_problem(db_session, CampaignHost())
    db_session.commit()
    reviewer = as_user("qsz_fzr")
    path = f"/problems/{problem.id}"
    token = csrf_token(reviewer, path)
    for visited_on, finding, reason in (
        ("2022-02-30", FINDING, "请填写正确的回访日期"),
        ("2022-06-14", "  ", "回访发现"),
    ):
        refused = reviewer.post(
            f"{path}/reopen",
            data={"csrf_token": token, "visited_on": visited_on, "finding": finding},
        )
        page = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 422, visited_on
        assert "未能重新打开：" in page and reason in page
        assert 'id="error-summary"' in page  # focused by form-errors.js: a phone scrolls to it
        assert f'value="{visited_on}"' in page
        assert f"{finding}</textarea>" in page
    db_session.expire_all()
    assert problem.status == "closed"
    done = reviewer.post(
        f"{path}/reopen",
        data={"csrf_token": token, "visited_on": "2022-06-14", "finding": FINDING},
    )
    assert done.status_code == 302 and done.headers["Location"] == path
    db_session.expire_all()
    assert problem.status == "reviewing"


def test_a_reopening_refused_to_whoever_may_not_still_says_why(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    problem = closed_problem(db_session, CampaignHost())
    db_session.commit()
    officer = as_user("qsz_jbr")  # an officer: only the unit's head may reopen
    path = f"/problems/{problem.id}"
    refused = officer.post(
        f"{path}/reopen",
        data={
            "csrf_token": csrf_token(officer, path),
            "visited_on": "2022-06-14",
            "finding": FINDING,
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "未能重新打开：" in page
    assert 'id="reopen"' not in page
