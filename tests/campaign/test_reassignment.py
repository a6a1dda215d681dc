"""转派: the unit's head or the leading group office hands an open task to a colleague."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems, reassignment, tasks
from campaign.models import AuditEvent, Notification, Problem
from campaign.workflow_host import CampaignHost
from core.errors import InvalidInput
from engine import cases
from engine.errors import NotAllowed, TaskConflict
from tests.campaign.conftest import (
    approval,
    do,
    open_step,
    registration,
    submission,
    uploaded,
    user,
)
from tests.factories import make_user

SUBMISSION = submission(measures_taken="已追回 3600 元并发放到户", amount_recovered="3600")


@pytest.fixture
def rectifying(db_session: Session, host: CampaignHost) -> Problem:
    """A problem whose rectification waits for 青山镇's officers."""
    problem = problems.register(
        db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    do(db_session, host, "qsz_fzr", problem, approval())
    assert open_step(db_session, problem).bpmn_id == "rectify"
    return problem


def test_the_head_hands_a_task_to_another_officer_who_then_does_it(
    db_session: Session, host: CampaignHost, rectifying: Problem
) -> None:
    colleague = make_user(db_session, "qsz_jbr2", unit_code="QSZ", role="officer")
    step = open_step(db_session, rectifying)
    assert {p.username for p in reassignment.candidates(db_session, step)} == {
        "qsz_jbr",
        "qsz_jbr2",
    }
    head = user(db_session, "qsz_fzr")
    reassignment.reassign(db_session, host, head, step.id, colleague.id, "原经办人出差")
    assert (step.claimed_by, step.unit_id, step.role) == (colleague.id, step.unit_id, "officer")
    event = cases.history(db_session, step.case_id)[-1]
    assert (event.kind, event.actor_name) == ("reassigned", head.full_name)
    assert event.message == "转派给qsz_jbr2 测试：原经办人出差"
    notice = db_session.scalars(
        select(Notification).where(Notification.user_id == colleague.id)
    ).one()
    assert notice.kind == "reassigned" and "原经办人出差" in notice.text
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.reassign")
    ).one()
    assert audited.actor_id == head.id and "qsz_jbr2" in audited.detail
    evidence = [str(uploaded(db_session, step.case_id, colleague).id)]
    tasks.complete(db_session, host, colleague, step.id, {**SUBMISSION, "evidence": evidence})
    assert open_step(db_session, rectifying).bpmn_id != "rectify"


def test_only_the_head_or_the_office_may_hand_tasks_on(
    db_session: Session, host: CampaignHost, rectifying: Problem
) -> None:
    colleague = make_user(db_session, "qsz_jbr2", unit_code="QSZ", role="officer")
    step = open_step(db_session, rectifying)
    with pytest.raises(NotAllowed, match="只有本单位负责人或领导小组办公室"):
        reassignment.reassign(
            db_session, host, user(db_session, "qsz_jbr"), step.id, colleague.id, "请代办"
        )
    office = user(db_session, "ldxz_ban")
    reassignment.reassign(db_session, host, office, step.id, colleague.id, "统筹安排")
    assert step.claimed_by == colleague.id


def test_a_person_who_cannot_do_the_step_or_no_reason_is_refused(
    db_session: Session, host: CampaignHost, rectifying: Problem
) -> None:
    outsider = make_user(db_session, "bsz_jbr2", unit_code="BSZ", role="officer")
    head = user(db_session, "qsz_fzr")
    step = open_step(db_session, rectifying)
    with pytest.raises(InvalidInput, match="可以办理此环节的人员"):
        reassignment.reassign(db_session, host, head, step.id, outsider.id, "外单位")
    with pytest.raises(InvalidInput, match="不能转派给自己"):
        reassignment.reassign(db_session, host, head, step.id, head.id, "自己办")
    with pytest.raises(InvalidInput, match="须填写理由"):
        reassignment.reassign(db_session, host, head, step.id, user(db_session, "qsz_jbr").id, "  ")
    assert step.claimed_by is None
    assert [e.kind for e in cases.history(db_session, step.case_id)].count("reassigned") == 0


def test_a_finished_task_is_not_handed_on(
    db_session: Session, host: CampaignHost, rectifying: Problem
) -> None:
    step = open_step(db_session, rectifying)
    do(db_session, host, "qsz_jbr", rectifying, SUBMISSION)
    with pytest.raises(TaskConflict):
        reassignment.reassign(db_session, host, user(db_session, "qsz_fzr"), step.id, 1, "晚了")


def test_the_head_is_offered_the_colleagues_not_themselves_and_cannot_pick_themselves(
    db_session: Session, host: CampaignHost, rectifying: Problem
) -> None:
    """A review step (role reviewer): its head holds the role too, but 转派 is to another."""
    head = user(db_session, "qsz_fzr")
    deputy = make_user(db_session, "qsz_fzr2", unit_code="QSZ", role="reviewer")
    make_user(db_session, "bsz_fzr2", unit_code="BSZ", role="reviewer")  # another unit
    step = open_step(db_session, rectifying)
    step.role = "reviewer"  # as a review step of the unit
    offered = {p.username for p in reassignment.candidates(db_session, step, by=head)}
    assert offered == {deputy.username}
    with pytest.raises(InvalidInput, match="不能转派给自己"):
        reassignment.reassign(db_session, host, head, step.id, head.id, "我来办")
    assert step.claimed_by is None
    reassignment.reassign(db_session, host, head, step.id, deputy.id, "负责人外出")
    assert step.claimed_by == deputy.id
