"""A new row whose key is known, inserted with the next statement (core.sent_later
.insert_later): the object is persistent as after a flush, its defaults filled in, the row
seen by every later statement and kept by the commit, gone with a savepoint's rollback."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.workflow_host import CampaignHost
from core import sent_later
from engine.models import WorkItem
from tests.campaign.conftest import registered, registration
from tests.test_held_rows import counted


def _new_item(session: Session, case_id: int, guid: str) -> WorkItem:
    highest = session.scalar(select(func.max(WorkItem.id))) or 0
    return WorkItem(
        id=highest + 1000,
        case_id=case_id,
        task_guid=guid,
        bpmn_id="later",
        title="稍后写入",
        form_key="",
        unit_id=None,
        role="officer",
    )


def test_a_row_inserted_later_is_persistent_with_its_defaults(db_session: Session) -> None:
    case_id = registered(db_session, CampaignHost(), registration()).case_id
    assert case_id is not None
    item = _new_item(db_session, case_id, "later-1")
    assert sent_later.insert_later(db_session, item)
    assert item.state == "open" and item.lane == "" and item.created_at is not None
    with counted(db_session) as statements:
        assert db_session.get(WorkItem, item.id) is item  # the identity map: no statement
        db_session.flush()  # nothing of it left to flush
    assert [s for s in statements if "work_item" in s] == []
    found = db_session.execute(select(WorkItem.state, WorkItem.title).where(WorkItem.id == item.id))
    assert found.one() == ("open", "稍后写入")
    db_session.commit()
    db_session.expunge_all()
    assert db_session.get(WorkItem, item.id) is not None


def test_a_savepoint_rolled_back_takes_the_row_and_its_object(db_session: Session) -> None:
    case_id = registered(db_session, CampaignHost(), registration()).case_id
    assert case_id is not None
    with db_session.begin_nested() as savepoint:
        item = _new_item(db_session, case_id, "later-2")
        item_id = item.id
        assert sent_later.insert_later(db_session, item)
        savepoint.rollback()
    assert item not in db_session
    assert db_session.scalar(select(func.count()).where(WorkItem.id == item_id)) == 0


def test_a_row_without_its_key_is_left_to_the_flush(db_session: Session) -> None:
    case_id = registered(db_session, CampaignHost(), registration()).case_id
    assert case_id is not None
    item = _new_item(db_session, case_id, "later-3")
    item.id = None  # type: ignore[assignment]
    assert not sent_later.insert_later(db_session, item)
    assert item not in db_session
