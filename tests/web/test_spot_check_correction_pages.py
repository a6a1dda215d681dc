"""The correction form on a household's page: offered once a result is recorded and the report
is open, filled in with what was recorded; a refusal keeps every input and names the field;
the same form sent twice corrects once; other townships and the office cannot correct."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import spot_checks
from campaign.models import SpotCheckResult
from campaign.workflow_host import CampaignHost
from tests.factories import make_user
from tests.web.conftest import DEMO_PASSWORD
from tests.web.test_spot_check_pages import _sign_in, _spot
from tests.web_helpers import csrf_token, form_tokens

pytestmark = pytest.mark.usefixtures("june_2022")

RECORDED = {
    "visited": "yes",
    "visited_on": "2022-06-14",
    "card_holder": "household",
    "amounts_as_listed": "yes",
    "problem_found": "no",
    "note": "户主在家",
}
AWAY = {"visited": "no", "visited_on": "2022-06-13", "problem_found": "no", "note": "外出务工<b>"}


def _recorded(session: Session) -> tuple[int, int]:
    spot, samples = _spot(session)
    officer = session.scalars(
        select(spot_checks.User).where(spot_checks.User.username == "qsz_jbr")
    ).one()
    spot_checks.record_result(session, CampaignHost(), officer, spot.id, samples[0].id, RECORDED)
    session.commit()
    return spot.id, samples[0].id


def test_the_form_is_filled_in_and_a_refusal_keeps_every_input(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    spot_id, sample_id = _recorded(db_session)
    client = as_user("qsz_jbr")
    page_path = f"/spot-checks/{spot_id}/households/{sample_id}"
    page = client.get(page_path).get_data(as_text=True)
    assert "更正核查结果" in page and "户主在家" in page and 'value="household" selected' in page
    path = page_path + "/correction"
    refused = client.post(path, data={**AWAY, **form_tokens(client, page_path)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "更正原因：请写明更正的原因" in text
    assert "外出务工&lt;b&gt;" in text and 'value="2022-06-13"' in text and "<details" in text
    result = db_session.scalars(select(SpotCheckResult)).one()
    db_session.refresh(result)
    assert result.visited is True and result.corrections == 0


def test_a_correction_is_made_once_and_shown(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    spot_id, sample_id = _recorded(db_session)
    client = as_user("qsz_jbr")
    page_path = f"/spot-checks/{spot_id}/households/{sample_id}"
    sent = {**AWAY, **form_tokens(client, page_path), "correction_reason": "实际未入户"}
    done = client.post(page_path + "/correction", data=sent)
    assert done.status_code == 302 and page_path in done.headers["Location"]
    again = client.post(page_path + "/correction", data=sent)  # the same form, sent twice
    assert again.status_code == 302
    result = db_session.scalars(select(SpotCheckResult)).one()
    db_session.refresh(result)
    assert (result.visited, result.corrections, result.note) == (False, 1, "外出务工<b>")
    shown = client.get(page_path).get_data(as_text=True)
    assert "已更正 1 次" in shown and "实际未入户" in shown and "<b>" not in shown
    listed = client.get(f"/spot-checks/{spot_id}").get_data(as_text=True)
    assert "已登记 1 户" in listed


def test_others_cannot_correct(db_session: Session, app: Flask) -> None:
    spot_id, sample_id = _recorded(db_session)
    make_user(db_session, "bsz_officer", unit_code="BSZ", role="officer", password=DEMO_PASSWORD)
    db_session.commit()
    page_path = f"/spot-checks/{spot_id}/households/{sample_id}"
    path = page_path + "/correction"
    wanted = {**AWAY, "correction_reason": "x"}
    officer = _sign_in(app, "qsz_jbr")
    forged = {**wanted, **form_tokens(officer, page_path), "csrf_token": "forged"}
    assert officer.post(path, data=forged).status_code == 400
    stranger = _sign_in(app, "bsz_officer")
    assert stranger.get(page_path).status_code == 404
    sent = {**wanted, "csrf_token": csrf_token(stranger, "/inbox/")}
    assert stranger.post(path, data=sent).status_code == 404
    office = _sign_in(app, "ldxz_ban")
    assert "更正核查结果" not in office.get(page_path).get_data(as_text=True)
    refused = office.post(path, data={**wanted, "csrf_token": csrf_token(office, "/inbox/")})
    assert refused.status_code == 403 and "只有本乡镇" in refused.get_data(as_text=True)
    result = db_session.scalars(select(SpotCheckResult)).one()
    db_session.refresh(result)
    assert result.corrections == 0 and result.visited is True
