import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases, definitions, migration
from engine.models import WorkItem
from tests.engine.conftest import OFFICER, diagram, start_rectify
from tests.engine.host import FakeHost

DEADLINE = "2099-07-31T18:00:00+08:00"


def _open(session: Session, case_id: int) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
        )
    )


def _drop_register(xml: str) -> str:
    """The rectify diagram with its first step, 登记台账, taken out."""
    start = xml.index('<bpmn:userTask id="register"')
    end = xml.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    xml = xml[:start] + xml[end:]
    for old, new in [
        ('targetRef="register"/>', 'targetRef="rectify"/>'),
        ('<bpmn:sequenceFlow id="f2" sourceRef="register" targetRef="rectify"/>', ""),
        ("<bpmn:flowNodeRef>register</bpmn:flowNodeRef>", ""),
        ("<bpmn:incoming>f2</bpmn:incoming>", "<bpmn:incoming>f1</bpmn:incoming>"),
    ]:
        assert old in xml
        xml = xml.replace(old, new)
    return xml


def test_preview_and_migrate_a_case_to_a_changed_version(
    db_session: Session, host: FakeHost
) -> None:
    definitions.deploy(db_session, diagram("rectify"), host, deployed_by="t")
    case = start_rectify(db_session, host, deadline=DEADLINE)
    cases.complete_task(db_session, host, _open(db_session, case.id)[0].id, {}, OFFICER)
    renamed = diagram("rectify", **{'name="销号审核"': 'name="销号审核（新）"'})
    definitions.deploy(db_session, renamed, host, deployed_by="t")
    [preview] = migration.preview(db_session, "test_rectify")
    assert (preview.case_id, preview.from_version, preview.to_version) == (case.id, 1, 2)
    assert preview.safe and preview.removed == []
    migration.migrate(db_session, host, case.id, to_version=None, actor=OFFICER)
    assert case.definition.version == 2
    assert cases.history(db_session, case.id)[-1].kind == "migrated"
    [item] = _open(db_session, case.id)
    cases.complete_task(db_session, host, item.id, {"measures": "m"}, OFFICER)
    [review] = _open(db_session, case.id)
    assert review.title == "销号审核（新）"
    assert migration.preview(db_session, "test_rectify") == []


def test_a_version_that_drops_a_visited_step_is_refused(
    db_session: Session, host: FakeHost
) -> None:
    definitions.deploy(db_session, diagram("rectify"), host, deployed_by="t")
    case = start_rectify(db_session, host, deadline=DEADLINE)
    cases.complete_task(db_session, host, _open(db_session, case.id)[0].id, {}, OFFICER)
    state = case.state
    without_register = _drop_register(diagram("rectify"))
    definitions.deploy(db_session, without_register, host, deployed_by="t")
    [preview] = migration.preview(db_session, "test_rectify")
    assert not preview.safe and "register" in preview.removed
    with pytest.raises(migration.MigrationRefused, match="删除"):
        migration.migrate(db_session, host, case.id, to_version=None, actor=OFFICER)
    assert case.definition.version == 1 and case.state == state
