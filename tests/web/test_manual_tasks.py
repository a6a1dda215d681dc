"""A manual task is a work item without a form: its page asks the person to confirm it is
done, and the confirmation completes it (it used to answer 404)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import Unit
from campaign.workflow_host import CampaignHost
from engine import cases, definitions
from engine.host import SYSTEM, CaseContext
from engine.models import Case, WorkItem
from tests.web_helpers import csrf_token

DIAGRAM = (
    Path(__file__).parents[1] / "engine" / "conformance" / "diagrams" / "task_manual.bpmn"
).read_text(encoding="utf-8")


def test_a_manual_task_is_confirmed_on_its_page(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    xml = DIAGRAM.replace('name="经办人"', 'name="本单位经办人"')
    definition, _ = definitions.deploy(db_session, xml, CampaignHost(), deployed_by="t")
    unit = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    case = cases.start_case(
        db_session,
        CampaignHost(),
        definition.key,
        data={},
        context=CaseContext(owning_unit_id=unit.id),
        actor=SYSTEM,
    )
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == case.id)).one()
    assert item.form_key == ""
    db_session.commit()
    client = as_user("qsz_jbr")
    page = client.get(f"/tasks/{item.id}")
    assert page.status_code == 200 and "确认已完成" in page.get_data(as_text=True)
    token = csrf_token(client, f"/tasks/{item.id}")
    answer = client.post(f"/tasks/{item.id}", data={"csrf_token": token})
    assert answer.status_code == 302
    db_session.expire_all()
    assert db_session.get(Case, case.id).status == "completed"  # type: ignore[union-attr]
    again = client.post(f"/tasks/{item.id}", data={"csrf_token": token})
    assert again.status_code == 409
