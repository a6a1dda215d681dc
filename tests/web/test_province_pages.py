"""The pages of a small demo province: a township's people see their own work and entries."""

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import province_build
from campaign.models import Problem, Unit
from engine.models import WorkItem


def test_a_township_sees_its_work_and_opens_a_copied_entry_and_its_task(
    db_session: Session, tmp_path: Path, as_user: Callable[[str], FlaskClient]
) -> None:
    province_build.build(db_session, tmp_path, 0.0016, force=True, say=lambda _line: None)
    township = db_session.scalars(select(Unit).where(Unit.code == "X001T02")).one()
    item, problem = db_session.execute(
        select(WorkItem, Problem)
        .join(Problem, Problem.case_id == WorkItem.case_id)
        .where(
            WorkItem.unit_id == township.id,
            WorkItem.role == "officer",
            WorkItem.state == "open",
            Problem.status == "rectifying",
        )
        .order_by(WorkItem.id.desc())
        .limit(1)
    ).one()
    db_session.commit()
    client = as_user("x001t02_jbr")
    inbox = client.get("/inbox/")
    assert inbox.status_code == 200
    text = inbox.get_data(as_text=True)
    # Its own entries' work, none of the other township's.
    assert "-X001T02-" in text and "-X001T01-" not in text
    page = client.get(f"/problems/{problem.id}")
    assert page.status_code == 200 and problem.number in page.get_data(as_text=True)
    task = client.get(f"/tasks/{item.id}")
    assert task.status_code == 200
    other = db_session.scalars(
        select(Problem.id).where(Problem.unit_id != township.id, Problem.unit_id != None)  # noqa: E711
    ).first()
    assert client.get(f"/problems/{other}").status_code in (403, 404)
