"""The spot-check pages: the sample on the township's task page, printed per village and
downloaded; a household's result form (refusals keep every input, a second submission does
nothing, other townships see nothing); the self-inspection visits and the supervision page's
villages never visited."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import key_check_revisits, key_checks, obligations, spot_checks
from campaign.models import Obligation, Problem, SpotCheckResult, SpotCheckSample, Unit, User
from campaign.workflow_host import CampaignHost
from core.errors import InvalidInput
from engine.models import WorkItem
from tests.factories import make_user
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import form_tokens, login

pytestmark = pytest.mark.usefixtures("june_2022")

FOUND = {
    "visited": "yes",
    "visited_on": "2022-06-14",
    "card_holder": "cadre",
    "amounts_as_listed": "yes",
    "problem_found": "yes",
    "programme": "P11",
    "focus_item": "3.3",
    "stat_category": "S02",
    "description": "一卡通由村会计代管<b>",
    "amount": "800.00",
    "note": "户主在家",
}


def _spot(session: Session) -> tuple[Obligation, list[SpotCheckSample]]:
    obligations.start_due(session, CampaignHost(), today=date(2022, 6, 15))
    spot = session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(Unit.code == "QSZ", Obligation.deadline_code == "spot_check")
    ).one()
    samples = session.scalars(
        select(SpotCheckSample)
        .where(SpotCheckSample.obligation_id == spot.id)
        .order_by(SpotCheckSample.id)
    ).all()
    return spot, list(samples)


def test_the_sample_is_on_the_task_page_printed_and_downloaded(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    spot, samples = _spot(db_session)
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == spot.case_id)).one()
    client = as_user("qsz_jbr")
    page = client.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert "抽查名单（" in page and f"{len(samples)} 户，已登记 0 户" in page
    first = samples[0].household
    assert first.code in page and first.head_name in page and "登记结果" in page
    assert 'name="households_checked"' not in page  # counted, not typed

    roster = client.get(f"/spot-checks/{spot.id}/roster")
    text = roster.get_data(as_text=True)
    assert roster.status_code == 200 and "重点抽查名单" in text and "农户签字" in text
    assert text.count('<section class="village">') == len({s.village_id for s in samples})
    village = db_session.get(Unit, samples[0].village_id)
    assert village is not None
    one = client.get(f"/spot-checks/{spot.id}/roster?village={village.code}").get_data(as_text=True)
    assert one.count('<section class="village">') == 1 and first.head_name in one

    download = client.get(f"/spot-checks/{spot.id}/sample.xlsx")
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(download.data))
    codes = {
        str(row[1]) for ws in book.worksheets for row in ws.iter_rows(min_row=3, values_only=True)
    }
    assert codes == {s.household.code for s in samples}


def test_a_result_with_a_problem_reaches_the_ledger_once(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    spot, samples = _spot(db_session)
    client = as_user("qsz_jbr")
    path = f"/spot-checks/{spot.id}/households/{samples[0].id}"
    tokens = form_tokens(client, path)
    sent = client.post(path, data={**FOUND, **tokens})
    assert sent.status_code == 302 and f"/spot-checks/{spot.id}" in sent.headers["Location"]
    again = client.post(path, data={**FOUND, **tokens})  # the same form, sent twice
    assert again.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(SpotCheckResult)) == 1
    assert db_session.scalar(select(func.count()).select_from(Problem)) == 1
    fresh = form_tokens(client, f"/spot-checks/{spot.id}/households/{samples[1].id}")
    second_tab = client.post(path, data={**FOUND, **fresh})  # a new form, same household
    assert second_tab.status_code == 409 and "不能重复登记" in second_tab.get_data(as_text=True)
    shown = client.get(path).get_data(as_text=True)
    assert "已于" in shown and "2022-QSZ-" in shown and "<b>" not in shown
    listed = client.get(f"/spot-checks/{spot.id}").get_data(as_text=True)
    assert "已登记 1 户" in listed


def test_bad_input_comes_back_with_every_input(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    spot, samples = _spot(db_session)
    client = as_user("qsz_jbr")
    path = f"/spot-checks/{spot.id}/households/{samples[0].id}"
    bad = {**FOUND, "problem_found": "no", "amount": "12.345"}
    refused = client.post(path, data={**bad, **form_tokens(client, path)})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "应登记为发现问题" in page or "涉及金额" in page
    for value in ("一卡通由村会计代管&lt;b&gt;", "户主在家", "12.345", 'value="2022-06-14"'):
        assert value in page
    assert 'value="cadre" selected' in page and 'value="P11" selected' in page
    assert db_session.scalar(select(func.count()).select_from(SpotCheckResult)) == 0
    missing = client.post(path, data={**form_tokens(client, path)})
    assert missing.status_code == 422 and "入户情况：必填" in missing.get_data(as_text=True)


def _sign_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


def test_other_townships_and_strangers_see_nothing(db_session: Session, app: Flask) -> None:
    spot, samples = _spot(db_session)
    make_user(db_session, "bsz_officer", unit_code="BSZ", role="officer", password=DEMO_PASSWORD)
    db_session.commit()
    client = _sign_in(app, "bsz_officer")
    for path in (
        f"/spot-checks/{spot.id}",
        f"/spot-checks/{spot.id}/roster",
        f"/spot-checks/{spot.id}/sample.xlsx",
        f"/spot-checks/{spot.id}/households/{samples[0].id}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(
        f"/spot-checks/{spot.id}/households/{samples[0].id}", data=FOUND
    ).status_code in (400, 404)
    office = _sign_in(app, "ldxz_ban")
    page = office.get(f"/spot-checks/{spot.id}/households/{samples[0].id}")
    assert page.status_code == 200 and "不能登记核查结果" in page.get_data(as_text=True)
    assert office.get(f"/spot-checks/{spot.id}/households/99999").status_code == 404
    assert db_session.scalar(select(func.count()).select_from(SpotCheckResult)) == 0


def test_visits_per_village_show_the_villages_never_visited(
    db_session: Session, app: Flask
) -> None:
    client = _sign_in(app, "qsz_jbr")
    page = client.get("/visits").get_data(as_text=True)
    assert "从未走访" in page and "自查走访" in page
    data = {"village": "QSZ01", "visited_on": "2022-06-10", "households": "12", "persons": "30"}
    sent = client.post("/visits", data={**data, **form_tokens(client, "/visits")})
    assert sent.status_code == 302
    refused = client.post(
        "/visits",
        data={**data, "village": "BSZ01", "households": "-1", "note": "走访情况说明"}
        | form_tokens(client, "/visits"),
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "走访情况说明" in text and 'value="-1"' in text
    office = _sign_in(app, "ldxz_ban").get("/supervise/").get_data(as_text=True)
    row = office[office.index('data-township="QSZ"') :]
    row = row[: row.index("</tr>")]
    qsz01 = db_session.scalar(select(Unit.name).where(Unit.code == "QSZ01"))
    qsz02 = db_session.scalar(select(Unit.name).where(Unit.code == "QSZ02"))
    assert qsz02 is not None and qsz02 in row and qsz01 is not None and qsz01 not in row
    assert _sign_in(app, "admin").get("/visits").status_code in (403, 404)


def test_the_team_revisits_its_households_from_the_sample_page(
    db_session: Session, app: Flask
) -> None:
    spot, samples = _spot(db_session)
    host = CampaignHost()
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    plain = {**FOUND, "card_holder": "household", "problem_found": "no"}
    for sample in samples:
        spot_checks.record_result(db_session, host, officer, spot.id, sample.id, plain)
    office = db_session.scalars(select(User).where(User.username == "ldxz_ban")).one()
    with pytest.raises(InvalidInput, match="不能早于今天"):
        key_checks.assign(db_session, host, office, "QSZ", "JCZB1", due_on="2022-06-01")
    check = key_checks.assign(db_session, host, office, "QSZ", "JCZB1", due_on="2022-06-30")
    assert check.due_on == date(2022, 6, 30)
    chosen = {h.sample.id for h in key_check_revisits.to_revisit(db_session, check)}
    db_session.commit()
    team = _sign_in(app, "zb1_cy")
    task = db_session.scalars(select(WorkItem).where(WorkItem.case_id == check.case_id)).one()
    assert f"/spot-checks/{spot.id}" in team.get(f"/tasks/{task.id}").get_data(as_text=True)
    page = team.get(f"/spot-checks/{spot.id}").get_data(as_text=True)
    assert f"本专班复核名单：{len(chosen)} 户" in page and page.count("round=district") == len(
        chosen
    )
    one = min(chosen)
    path = f"/spot-checks/{spot.id}/households/{one}?round=district"
    sent = team.post(path, data={**plain, "agrees": "yes", **form_tokens(team, path)})
    assert sent.status_code == 302
    assert "复核一致" in team.get(f"/spot-checks/{spot.id}").get_data(as_text=True)
    outside = next(s.id for s in samples if s.id not in chosen)
    other = f"/spot-checks/{spot.id}/households/{outside}?round=district"
    shown = team.get(other).get_data(as_text=True)
    assert 'name="agrees"' not in shown and "不在本专班的复核名单中" in shown
    tokens = form_tokens(team, f"/spot-checks/{spot.id}/households/{max(chosen)}?round=district")
    refused = team.post(other, data={**plain, "agrees": "yes", **tokens})
    assert refused.status_code == 404 and "复核名单" in refused.get_data(as_text=True)
