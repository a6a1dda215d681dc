"""The campaign selector beside the menu, and an ended campaign's records refusing changes
through the pages and the API (forged requests included)."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from campaign import accounts, campaigns
from campaign.current import active_campaign
from campaign.models import Campaign, Comment, Problem, User
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import approval, open_step, registered, registration
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, form_tokens, login

pytestmark = pytest.mark.usefixtures("june_2022")
ENDED = "已结束，其记录只读"


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


def _started_2023(session: Session) -> tuple[Campaign, Campaign]:
    year_2022 = active_campaign(session)
    made = campaigns.create_from(session, year_2022, code="2023-HTK", year=2023, name="")
    campaigns.start(session, made)
    session.commit()
    return year_2022, made


def _main(answer: TestResponse) -> str:
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    shown = page[page.index("<main>") : page.index("</main>")]
    return re.sub(r'name="(csrf_token|once)" value="[^"]*"', "", shown)  # a form's tokens


def _choose(
    client: FlaskClient, value: str, next_path: str = "/ledger", form_page: str = "/ledger"
) -> str:
    token = csrf_token(client, form_page)
    answer = client.post(
        "/campaign", data={"csrf_token": token, "campaign": value, "next": next_path}
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_the_selector_shows_an_ended_campaign_read_only(app: Flask, db_session: Session) -> None:
    numbers = list(db_session.scalars(select(Problem.number).limit(3)))
    office = signed_in(app, "ldxz_ban")
    tables_before = _main(office.get("/reports/"))
    year_2022, _ = _started_2023(db_session)

    page = office.get("/ledger").get_data(as_text=True)
    assert "2023 年度（进行中）" in page and "2022 年度（已结束）" in page
    assert "只读" not in page and not any(n in page for n in numbers)

    assert _choose(office, str(year_2022.id)) == "/ledger"
    page = office.get("/ledger").get_data(as_text=True)
    assert "只读" in page and all(n in page for n in numbers)
    selected = re.search(r'<option value="(\d+)" selected', page)
    assert selected and int(selected.group(1)) == year_2022.id
    assert _main(office.get("/reports/")) == tables_before  # 附件2, 附件3 as they were

    # Anything else asked for (not a campaign, a prepared one, another site): the campaign in
    # progress, and home.
    assert _choose(office, "abc", "//evil.example/x") == "/"
    assert "只读" not in office.get("/ledger").get_data(as_text=True)


def test_no_selector_while_there_is_one_campaign(app: Flask, db_session: Session) -> None:
    page = signed_in(app, "ldxz_ban").get("/ledger").get_data(as_text=True)
    assert 'name="campaign"' not in page


def test_a_forged_post_on_an_ended_campaigns_task_is_refused(
    app: Flask, db_session: Session
) -> None:
    problem = registered(db_session, CampaignHost(), registration())
    step = open_step(db_session, problem)
    db_session.commit()
    _started_2023(db_session)
    reviewer = signed_in(app, "qsz_fzr")
    token = csrf_token(reviewer, "/ledger")

    # The task's page still shows (read-only); what it posts is refused.
    tokens = form_tokens(reviewer, f"/tasks/{step.id}")
    answer = reviewer.post(f"/tasks/{step.id}", data={**tokens, **approval()})
    # The form comes back (422, what was typed kept) with the refusal.
    assert answer.status_code == 422 and ENDED in answer.get_data(as_text=True)
    comment = reviewer.post(
        f"/tasks/{step.id}/comments", data={"csrf_token": token, "text": "补充"}
    )
    assert comment.status_code in (302, 403)
    claim = reviewer.post(f"/inbox/{step.id}/claim", data={"csrf_token": token})
    assert claim.status_code in (302, 403)

    user = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    bearer = {"Authorization": f"Bearer {accounts.issue_token(db_session, user)}"}
    db_session.commit()
    api = app.test_client()
    done = api.post(f"/api/v1/tasks/{step.id}/complete", headers=bearer, json={"data": approval()})
    assert done.status_code == 403 and ENDED in done.get_json()["error"]
    claimed = api.post(f"/api/v1/tasks/{step.id}/claim", headers=bearer)
    assert claimed.status_code == 403

    db_session.expire_all()
    item = db_session.get(WorkItem, step.id)
    assert item is not None and item.state == "open" and item.claimed_by is None
    assert db_session.scalars(select(Comment).where(Comment.case_id == step.case_id)).all() == []


def test_the_inbox_and_the_api_list_the_chosen_campaigns_work(
    app: Flask, db_session: Session
) -> None:
    problem = registered(db_session, CampaignHost(), registration())
    step = open_step(db_session, problem)
    db_session.commit()
    reviewer = signed_in(app, "qsz_fzr")
    assert f"/tasks/{step.id}" in reviewer.get("/inbox/").get_data(as_text=True)
    year_2022, _ = _started_2023(db_session)

    assert f"/tasks/{step.id}" not in reviewer.get("/inbox/").get_data(as_text=True)
    _choose(reviewer, str(year_2022.id), "/inbox/")
    assert f"/tasks/{step.id}" in reviewer.get("/inbox/").get_data(as_text=True)

    user = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    bearer = {"Authorization": f"Bearer {accounts.issue_token(db_session, user)}"}
    db_session.commit()
    api = app.test_client()

    def listed(query: str) -> set[int]:
        answer = api.get(f"/api/v1/tasks?per_page=100{query}", headers=bearer)
        assert answer.status_code == 200, answer.get_json()
        return {task["id"] for task in answer.get_json()["items"]}

    assert step.id not in listed("")
    assert step.id in listed(f"&campaign={year_2022.code}")
    missing = api.get("/api/v1/tasks?campaign=1999-NONE", headers=bearer)
    assert missing.status_code == 404 and "活动不存在" in missing.get_json()["error"]
    odd = api.get("/api/v1/tasks?campaign=%27%3B--", headers=bearer)
    assert odd.status_code == 404 and "活动不存在" in odd.get_json()["error"]
    # A search by the entry's number joins the ledger around the campaign's condition.
    found = listed(f"&campaign={year_2022.code}&q={problem.number}")
    assert found == {step.id} and listed(f"&q={problem.number}") == set()
    assert f"/tasks/{step.id}" in reviewer.get(f"/inbox/?q={problem.number}").get_data(as_text=True)


STARTS = (
    "/problems/new",
    "/ledger/import",
    "/tip-offs/new",
    "/supervision/new",
    "/inspections/new",
    "/accountability/new",
)


def _raw_main(answer: TestResponse) -> str:
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    return page[page.index("<main>") : page.index("</main>")]


def test_forms_that_add_records_say_where_they_go_while_an_ended_campaign_is_viewed(
    app: Flask, db_session: Session
) -> None:
    """What is added always belongs to the campaign in progress: while 2022 is looked at, a
    page that adds offers to switch to 2023 and come back, instead of its form."""
    office = signed_in(app, "ldxz_ban")
    forms_before = {path: 'name="once"' in _raw_main(office.get(path)) for path in STARTS}
    year_2022, year_2023 = _started_2023(db_session)
    _choose(office, str(year_2022.id))
    for path in STARTS:
        page = _raw_main(office.get(path))
        assert "新登记的记录属于进行中的活动" in page and "切换到 2023 年度并继续" in page, path
        assert 'name="once"' not in page, path
        assert f'name="next" value="{path}"' in page, path
    assert all(forms_before.values()), forms_before

    # The button switches to 2023 and comes back to the form.
    assert _choose(office, str(year_2023.id), "/problems/new?unit=QSZ") == "/problems/new?unit=QSZ"
    page = _raw_main(office.get("/problems/new?unit=QSZ"))
    assert "新登记的记录属于进行中的活动" not in page and 'name="once"' in page

    # The lists' own forms are not offered on 2022 either.
    assert "运行比对</button>" in _main(office.get("/comparison"))
    _choose(office, str(year_2022.id))
    assert "运行比对</button>" not in _main(office.get("/comparison"))


def test_the_household_import_offers_the_switch_and_the_places_import_does_not(
    app: Flask, db_session: Session
) -> None:
    """Households and programmes are the campaign in progress's; places are the district's."""
    admin = signed_in(app, "admin")
    year_2022, _ = _started_2023(db_session)
    places_page = "/admin/reference/places"
    _choose(admin, str(year_2022.id), places_page, form_page=places_page)
    households = _raw_main(admin.get("/admin/reference/import/households"))
    assert "切换到 2023 年度并继续" in households and 'type="file"' not in households
    programmes = _raw_main(admin.get("/admin/reference/import/programmes"))
    assert "切换到 2023 年度并继续" in programmes
    places = _raw_main(admin.get("/admin/reference/import/places"))
    assert "切换到 2023 年度并继续" not in places and 'type="file"' in places
    # The places page counts the households of 2022's lists while 2022 is chosen.
    assert admin.get("/admin/reference/places").status_code == 200


def test_pages_that_list_work_answer_before_any_campaign_is_in_progress(
    app: Flask, db_session: Session
) -> None:
    """No campaign in progress (as before `ykt init` makes one): the inbox, the places page and
    the API's task list still answer, with nothing of a campaign to leave out."""
    office, admin = signed_in(app, "ldxz_ban"), signed_in(app, "admin")
    user = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    bearer = {"Authorization": f"Bearer {accounts.issue_token(db_session, user)}"}
    for campaign in db_session.scalars(select(Campaign)):
        campaign.active = False
    db_session.commit()
    assert office.get("/inbox/").status_code == 200
    assert office.get("/").status_code == 200
    assert admin.get("/admin/reference/places").status_code == 200
    assert app.test_client().get("/api/v1/tasks", headers=bearer).status_code == 200


def _selector_next(answer: TestResponse) -> str:
    found = re.search(r'name="next" value="([^"]*)"', answer.get_data(as_text=True))
    assert found, "no selector"
    return html.unescape(found.group(1))


def test_a_page_shown_for_a_refused_form_returns_the_selector_to_a_page_that_opens(
    app: Flask, db_session: Session
) -> None:
    """A refusal shown in answer to a form sent is at the form's address, which may not be
    opened (405): the selector returns to the page the form was on."""
    _started_2023(db_session)
    office = signed_in(app, "ldxz_ban")
    listed = "/supervise/list/weak?q=%E9%9D%92%E5%B1%B1&page=1"
    token = csrf_token(office, listed)
    sent = {"csrf_token": token, "township": "QSZ", "team": "JCZB2", "due_on": "2022-01-03"}
    refused = office.post("/supervise/key-checks", data={**sent, "back": listed})
    assert refused.status_code == 422
    back = _selector_next(refused)
    assert back.startswith("/supervise/list/weak?") and office.get(back).status_code == 200
    # The whole table's search, on that page, searches the table.
    assert 'class="filters" method="get" action="/supervise/list/weak"' in refused.get_data(
        as_text=True
    )
    from_dashboard = office.post("/supervise/key-checks", data=sent)
    assert _selector_next(from_dashboard) == "/supervise/"

    security = signed_in(app, "secadmin")
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    token = csrf_token(security, "/admin/users")
    contact = security.post(
        f"/admin/users/{officer.id}/contact", data={"csrf_token": token, "email": "x at y"}
    )
    assert contact.status_code == 422 and _selector_next(contact) == "/admin/users"

    # Any other page shown for a refused form: the page it was sent from, when this site's.
    admin = signed_in(app, "admin")
    token = csrf_token(admin, "/admin/units?q=QSZ")
    population = {"csrf_token": token, "population": "很多"}
    for referrer, expected in (
        ("http://localhost/admin/units?q=QSZ", "/admin/units?q=QSZ"),
        ("https://evil.example/admin/units", "/"),
        (None, "/"),
    ):
        headers = {"Referer": referrer} if referrer else {}
        answer = admin.post("/admin/units/QSZ/population", data=population, headers=headers)
        assert answer.status_code == 422 and _selector_next(answer) == expected, referrer
