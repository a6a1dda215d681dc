"""Holes found by reviewing the figures' rules as an adversary: rules judged on what the case
records (not on raw input), money that survives a return, uploads only by whoever may
complete, a reopened problem's unapproved draft kept from the public, a case on a lifecycle
without 作废审批, and upgrading a database that already holds clues."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import bootstrap, disclosures, problems
from campaign.models import Clue, Problem
from campaign.workflow_host import CampaignHost
from core import schema
from core.db import Database
from core.errors import InvalidInput
from engine import definitions
from tests.campaign.conftest import (
    SHORT_PAID,
    SIGNED_OFF,
    approval,
    do,
    open_step,
    registered,
    registration,
    submission,
    user,
)
from tests.databases import fresh_database_url

VOID_STEPS = ("approve_void", "void_approved", "void_refused_to", "voided")


def test_a_padded_void_is_judged_as_the_case_records_it(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        approval(suspected_violation="on", clue_summary="截留"),
    )
    with pytest.raises(InvalidInput):
        do(db_session, host, "qsz_jbr", problem, {"action": " void", "void_reason": "不属实"})
    assert open_step(db_session, problem).bpmn_id == "rectify"


def test_a_false_flag_does_not_skip_the_clue_or_reason_rule(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission(no_transfer_reason=""))
    with pytest.raises(InvalidInput):
        do(
            db_session,
            host,
            "ldxz_ban",
            problem,
            {"signoff_decision": "approve", "suspected_violation": "false"},
        )
    assert db_session.scalars(select(Clue)).all() == []


def test_a_void_with_a_clue_flag_at_review_is_refused(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())
    proposal = {
        "review_decision": "void",
        "void_reason": "不属实",
        "suspected_violation": "on",
        "clue_summary": "x",
    }
    with pytest.raises(InvalidInput):
        do(db_session, host, "qsz_fzr", problem, proposal)
    assert db_session.scalars(select(Clue)).all() == []


def test_a_reopened_problem_needs_the_office_s_agreement_again(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission())
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    do(db_session, host, "qsz_jbr", problem, {"public_text": "已追回"})
    do(db_session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})
    do(db_session, host, "ldxz_ban", problem, {"closing_note": "销号"})
    office = user(db_session, "ldxz_ban")
    problems.reopen(
        db_session, host, office, problem, visited_on=date(2022, 6, 15), finding="又截留"
    )
    assert problem.no_transfer_approved_by is None
    [shown] = disclosures.search(db_session).items
    assert shown.text == "已追回"  # the approved text stays until a new one is approved
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, submission())
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    do(db_session, host, "qsz_jbr", problem, {"public_text": "未经审批的草稿：责任人李四应当撤职"})
    [shown] = disclosures.search(db_session).items
    assert "李四" not in shown.text and shown.status == "回访发现问题，重新整改中"


def test_a_case_on_a_lifecycle_without_the_void_approval_cannot_propose_a_void(
    db_session: Session, host: CampaignHost
) -> None:
    latest = definitions.require_latest(db_session, "problem_lifecycle")
    tree = etree.fromstring(latest.bpmn_xml.encode())
    for element in list(tree.iter()):
        ids = {element.get("id"), element.get("sourceRef"), element.get("targetRef")}
        ids |= {element.get("bpmnElement")}
        text = (element.text or "").strip() if element.tag.endswith("flowNodeRef") else ""
        if (
            ids & set(VOID_STEPS)
            or text in VOID_STEPS
            or re.match(r"void_", element.get("id") or "")
        ):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
    older = etree.tostring(tree, encoding="unicode")
    definitions.deploy(db_session, older, host, deployed_by="tests")
    problem = registered(db_session, host, SHORT_PAID)
    with pytest.raises(InvalidInput) as refused:
        do(
            db_session,
            host,
            "qsz_fzr",
            problem,
            {"review_decision": "void", "void_reason": "不属实"},
        )
    assert "迁移到最新版本" in str(refused.value)
    assert open_step(db_session, problem).bpmn_id == "review_registration"


def test_upgrading_a_database_that_holds_clues(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        schema.upgrade(database)
        host = CampaignHost()
        with database.transaction() as session:
            bootstrap.initialise(session, with_demo=True, deployed_by="tests")
            problem = registered(session, host, registration())
            flagged = approval(suspected_violation="on", clue_summary="截留")
            do(session, host, "qsz_fzr", problem, flagged)
            assert session.scalars(select(Clue)).one().problem_id == problem.id
        schema.downgrade(database, "0014")
        schema.upgrade(database)
        with database.transaction() as session:
            again = session.scalars(select(Problem)).one()
            assert again.reviewed_at is not None  # backfilled from its review
            assert session.scalars(select(Clue)).one().problem_id == again.id
        database.engine.dispose()
