"""Transferring problem clues to the discipline commission and recording its outcome."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, notifications, numbering
from campaign.actors import actor_for
from campaign.models import Clue, ClueStatus, Problem, User
from campaign.models.clues import GOVERNMENT_SANCTIONS, PARTY_SANCTIONS
from campaign.org import unit_by_code
from campaign.reference_data import DISCIPLINE_CODE
from core import clock
from core.errors import InvalidInput
from engine import cases
from engine.host import CaseContext, EngineHost
from engine.models import WorkItem

PROCESS_KEY = "clue_transfer"
OUTCOME_FORMS = {"clue_outcome", "clue_final"}


def transfer(
    session: Session, host: EngineHost, user: User, problem: Problem, summary: str, from_step: str
) -> Clue:
    """A clue goes to the commission's inbox as a case of its own."""
    year = clock.local_now().year  # the year of transfer, as ledger numbers (registration)
    clue = Clue(
        problem=problem,
        campaign_id=problem.campaign_id,
        number=f"XS-{year}-{numbering.next_value(session, f'clue:{year}'):04d}",
        summary=summary,
        from_step=from_step,
        transferred_by=user.id,
        transferred_at=clock.now(),
    )
    session.add(clue)
    session.flush()
    commission = unit_by_code(session, DISCIPLINE_CODE)
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={
            "clue_id": clue.id,
            "clue_number": clue.number,
            "problem_number": problem.number,
            "summary": summary,
        },
        context=CaseContext(
            owning_unit_id=commission.id,
            responsible_unit_id=problem.unit_id,
            subject_type="clue",
            subject_id=clue.id,
        ),
        actor=actor_for(user),
    )
    clue.case_id = case.id
    notifications.for_new_work(session, case.id)
    audit.record(
        session, "clue.transfer", actor=user, target=f"clue:{clue.number}", problem=problem.number
    )
    return clue


# Dispositions that open no case: a clue closed (予以了结) or put aside (暂存待查) was not
# filed, and a tick of 已立案 beside one would count it in 附件3's 立案 column.
NOT_FILED = {"close": "予以了结", "hold": "暂存待查"}


def check_receipt(
    _session: Session, _user: User, _clue: Clue, item: WorkItem, data: Mapping[str, Any]
) -> None:
    """A receipt does not both close the clue (or put it aside) and say a case was filed."""
    disposal = NOT_FILED.get(str(data.get("disposal") or ""))
    if item.form_key == "clue_receive" and disposal and data.get("case_filed"):
        reason = f"已立案：处置方式为“{disposal}”的线索未立案，请取消勾选或改选处置方式"
        raise InvalidInput(fields={"case_filed": reason})


def apply_outcome(clue: Clue, form_key: str, data: Mapping[str, Any]) -> None:
    if form_key == "clue_receive":
        clue.disposal = data["disposal"]
        clue.case_filed = bool(data.get("case_filed"))
        clue.persons_named = data.get("persons_named") or ""
        return
    if form_key not in OUTCOME_FORMS:
        return
    party = {k: int(data.get(k) or 0) for k in PARTY_SANCTIONS}
    government = {k: int(data.get(k) or 0) for k in GOVERNMENT_SANCTIONS}
    clue.case_filed = clue.case_filed or bool(data.get("case_filed"))
    clue.party_sanctioned = sum(party.values())
    clue.government_sanctioned = sum(government.values())
    clue.sanctions_detail = json.dumps({**party, **government}, ensure_ascii=False)
    clue.exposure_cases = data.get("exposure_cases") or 0
    clue.exposure_persons = data.get("exposure_persons") or 0
    clue.recovered_fen = data.get("recovered") or 0
    clue.returned_fen = data.get("returned") or 0
    clue.voluntary_persons = data.get("voluntary_persons") or 0
    clue.voluntary_fen = data.get("voluntary") or 0
    clue.outcome_note = data["outcome_note"]
    clue.decided_at = clock.now()
    retained = form_key == "clue_outcome" and data.get("clue_conclusion") == "retained"
    clue.status = (ClueStatus.RETAINED if retained else ClueStatus.CONCLUDED).value


def require_outcomes(session: Session, problem: Problem) -> None:
    """A problem cannot close while a clue of it has no outcome and was not left with the
    commission on purpose."""
    pending = session.scalars(
        select(Clue.number).where(
            Clue.problem_id == problem.id, Clue.status == ClueStatus.PENDING.value
        )
    ).all()
    if pending:
        raise InvalidInput(
            f"问题线索 {'、'.join(pending)} 尚无处置结果，暂不能销号。"
            "录入处置结果或标明“留待纪检监察机关处理”均由纪检监察机关办理，"
            "无需您操作；待其办理后，此任务即可确认销号"
        )
