"""核实: each 疑点 one case in its township's inbox, never a second; 属实 → a ledger entry with
source 数据比对 linked back to the roll rows; 不属实 → closed with findings and evidence; the
hit rate per rule; full numbers only to the verifying officer, each view audited."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.comparison_data import generate
from campaign import bootstrap, reports, tasks
from campaign.comparison import disclosure, verification
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import list_discrepancies, run_comparison
from campaign.models import AuditEvent, Discrepancy, Problem, RollRow, Unit, User
from campaign.workflow_host import CampaignHost
from core import clock, schema
from core.db import Database, write_kept
from core.errors import AppError, InvalidInput, NotAllowed
from engine.models import Case, WorkItem
from tests.campaign.conftest import approval, uploaded
from tests.comparison.conftest import load
from tests.databases import fresh_database_url
from tests.factories import make_user

QSZ_VILLAGES = ["青山村", "石门村", "桃园社区", "柳塘村", "新华村"]


@pytest.fixture
def host() -> CampaignHost:
    return CampaignHost()


@pytest.fixture
def raised(db_session: Session, key_file: KeyFile, host: CampaignHost) -> list[Discrepancy]:
    """The planted anomalies of rolls of 青山镇, raised and each given its case."""
    load(db_session, key_file, generate(11, 20, QSZ_VILLAGES))
    run_comparison(db_session, actor_name="tests")
    verification.start_cases(db_session, host, actor_name="tests")
    return list(db_session.scalars(select(Discrepancy).order_by(Discrepancy.id)))


def officer(session: Session) -> User:
    return session.scalars(select(User).where(User.username == "qsz_jbr")).one()


def step_of(session: Session, found: Discrepancy) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == found.case_id, WorkItem.state == "open")
    ).one()


def of_rule(raised: list[Discrepancy], code: str) -> Discrepancy:
    return next(d for d in raised if d.rule.code == code)


def complete(
    session: Session, host: CampaignHost, person: User, found: Discrepancy, data: dict[str, Any]
) -> None:
    step = step_of(session, found)
    if data.get("evidence") == ["upload"]:
        data = {**data, "evidence": [str(uploaded(session, step.case_id, person).id)]}
    tasks.complete(session, host, person, step.id, data)


def found_true(session: Session, found: Discrepancy, **overrides: Any) -> dict[str, Any]:
    data = verification.prefill(session, found, "comparison_verify")
    data.update(verdict="true", findings="入户核实：此人已于 2021 年去世，家属代领")
    data.update(overrides)
    return data


FOUND_FALSE = {
    "verdict": "false",
    "findings": "死亡信息登记有误，本人健在，已由公安更正",
    "evidence": ["upload"],
}


def cases_of(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Case).where(Case.subject_type == "discrepancy")
        )
        or 0
    )


# -- adversarial first ----------------------------------------------------------------


def test_running_again_raises_no_疑点_twice_nor_starts_a_second_case(
    db_session: Session, host: CampaignHost, raised: list[Discrepancy]
) -> None:
    assert len(raised) == 10 and cases_of(db_session) == 10
    assert run_comparison(db_session, actor_name="tests").total == 0
    assert verification.start_cases(db_session, host, actor_name="tests") == 0
    for found in raised:  # a second start of the same 疑点 (a run racing this one)
        assert verification._start_one(db_session, host, found.id) is False
    assert cases_of(db_session) == 10
    assert db_session.scalar(select(func.count(func.distinct(Discrepancy.case_id)))) == 10


def test_a_decided_疑点_is_never_started_again(
    db_session: Session, host: CampaignHost, raised: list[Discrepancy]
) -> None:
    found = of_rule(raised, "R01")
    complete(db_session, host, officer(db_session), found, FOUND_FALSE)
    found.case_id = None  # even should its link be lost, its status keeps it closed
    db_session.flush()
    assert verification.start_cases(db_session, host, actor_name="tests") == 0


def test_another_townships_officer_cannot_verify_nor_see_the_numbers(
    db_session: Session, host: CampaignHost, key_file: KeyFile, raised: list[Discrepancy]
) -> None:
    found = of_rule(raised, "R01")
    stranger = make_user(db_session, "bsz_jbr_t", unit_code="BSZ")
    with pytest.raises(AppError):
        complete(db_session, host, stranger, found, found_true(db_session, found))
    assert found.status == "verifying" and found.problem_id is None
    office = db_session.scalars(select(User).where(User.username == "ldxz_ban")).one()
    reviewer = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    for person in (stranger, office, reviewer):
        with pytest.raises(NotAllowed):
            disclosure.rows_in_full(db_session, key_file, person, found)
    write_kept(db_session)  # what the request's boundary writes after the refusal
    refused = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "comparison.reveal", AuditEvent.success.is_(False)
        )
    ).all()
    assert len(refused) == 3


@pytest.mark.parametrize("amount", [None, "", "0", "0.00"])
def test_属实_without_an_amount_is_refused(
    db_session: Session, host: CampaignHost, raised: list[Discrepancy], amount: str | None
) -> None:
    found = of_rule(raised, "R01")
    data = found_true(db_session, found, amount=amount)
    with pytest.raises(InvalidInput) as refused:
        complete(db_session, host, officer(db_session), found, data)
    assert "amount" in (refused.value.fields or {})
    assert found.status == "verifying" and found.problem_id is None


def test_不属实_without_evidence_or_reason_is_refused(
    db_session: Session, host: CampaignHost, raised: list[Discrepancy]
) -> None:
    found = of_rule(raised, "R01")
    for missing in ("evidence", "findings"):
        data = {k: v for k, v in FOUND_FALSE.items() if k != missing}
        with pytest.raises(InvalidInput) as refused:
            complete(db_session, host, officer(db_session), found, data)
        assert missing in (refused.value.fields or {})


# -- the outcomes -----------------------------------------------------------------------


def test_each_疑点_is_a_case_in_its_townships_inbox(
    db_session: Session, raised: list[Discrepancy]
) -> None:
    qsz = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    for found in raised:
        step = step_of(db_session, found)
        assert (step.unit_id, step.role, step.form_key) == (qsz.id, "officer", "comparison_verify")
        assert step.due_at is not None
        assert found.status == "verifying" and found.verifying_unit_id == qsz.id


def test_属实_is_a_ledger_entry_of_数据比对_linked_to_the_roll_rows(
    db_session: Session, host: CampaignHost, raised: list[Discrepancy]
) -> None:
    found = of_rule(raised, "R01")
    data = found_true(db_session, found)
    assert (data["focus_item"], data["stat_category"]) == ("3.2", "S03")  # 虚报冒领
    complete(db_session, host, officer(db_session), found, data)
    assert found.status == "confirmed" and found.problem_id is not None
    problem = db_session.get_one(Problem, found.problem_id)
    assert problem.source == "data_comparison"
    assert problem.amount_fen == found.amount_fen
    assert problem.stat_category.code == "S03" and problem.focus_item.code == "3.2"
    assert problem.programme_id == found.programme_id
    rows = db_session.scalars(select(RollRow).where(RollRow.id.in_(verification.row_ids(found))))
    for row in rows:
        assert f"第 {row.row_no} 行" in problem.description
    assert f"数据比对疑点 #{found.id}" in problem.description
    assert problem.case_id is not None  # its own lifecycle, from 审核登记
    case = db_session.get_one(Case, found.case_id)
    assert case.status == "completed"


def test_不属实_closes_the_case_with_the_reason_and_evidence(
    db_session: Session, host: CampaignHost, raised: list[Discrepancy]
) -> None:
    found = of_rule(raised, "R04")
    complete(db_session, host, officer(db_session), found, FOUND_FALSE)
    assert found.status == "refuted" and found.problem_id is None
    assert found.findings == FOUND_FALSE["findings"] and found.decided_by == "qsz_jbr"
    assert db_session.get_one(Case, found.case_id).status == "completed"


def test_the_hit_rate_is_属实_of_all_decided_per_rule(
    db_session: Session, host: CampaignHost, key_file: KeyFile, raised: list[Discrepancy]
) -> None:
    first = of_rule(raised, "R01")
    complete(db_session, host, officer(db_session), first, found_true(db_session, first))
    second = of_rule(raised, "R04")
    complete(db_session, host, officer(db_session), second, FOUND_FALSE)
    rates = {rate.code: rate for rate in disclosure.hit_rates(db_session)}
    assert (rates["R01"].confirmed, rates["R01"].decided, rates["R01"].rate_text) == (1, 1, "100%")
    assert (rates["R04"].refuted, rates["R04"].rate, rates["R04"].rate_text) == (1, 0.0, "0%")
    assert (rates["R02"].pending, rates["R02"].rate, rates["R02"].rate_text) == (1, None, "—")
    listed = list_discrepancies(db_session, key_file, status="confirmed")
    assert [item.id for item in listed.items] == [first.id]
    assert listed.items[0].status_label == "属实"
    with pytest.raises(InvalidInput):
        list_discrepancies(db_session, key_file, status="<script>")


def test_numbers_in_full_only_to_the_verifying_officer_and_every_view_audited(
    db_session: Session, key_file: KeyFile, raised: list[Discrepancy]
) -> None:
    found = of_rule(raised, "R03")
    masked = disclosure.rows_masked(db_session, key_file, found)
    shown = disclosure.rows_in_full(db_session, key_file, officer(db_session), found)
    assert len(shown) == len(masked) == found.rows
    for plain, hidden in zip(shown, masked, strict=True):
        assert len(plain.id_number) == 18 and plain.id_number not in repr(hidden)
        assert plain.card not in repr(hidden) and hidden.card.endswith(plain.card[-4:])
        assert hidden.id_number == plain.id_number[:2] + "*" * 10 + plain.id_number[-4:]
        assert hidden.name.endswith("某")
    seen = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "comparison.reveal", AuditEvent.success.is_(True)
        )
    ).all()
    assert [e.target for e in seen] == [f"discrepancy:{found.id}"]
    assert seen[0].actor_name == "qsz_jbr" or seen[0].actor_id == officer(db_session).id


def test_two_runs_at_once_start_one_case_per_疑点(tmp_path: Path) -> None:
    """Two comparisons starting cases at the same moment, each in its own transaction."""
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            schema.upgrade(database)
            with database.transaction() as session:
                bootstrap.initialise(session, with_demo=True)
                key_file = KeyFile(tmp_path / "keys" / "comparison.json")
                load(session, key_file, generate(13, 10, QSZ_VILLAGES))
                run_comparison(session, actor_name="tests")
            start, outcomes = threading.Barrier(2), []

            def run() -> None:
                start.wait()
                with database.transaction() as session:
                    started = verification.start_cases(session, CampaignHost(), actor_name="t")
                outcomes.append(started)

            threads = [threading.Thread(target=run) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert len(outcomes) == 2 and sum(outcomes) == 10
            with database.transaction() as session:
                assert cases_of(session) == 10
                assert (
                    session.scalar(select(func.count()).where(Discrepancy.case_id.is_not(None)))
                    == 10
                )
        finally:
            database.dispose()


def _attachment2_total(session: Session, category: str) -> int:
    table = reports.attachment2(session, reports.report_scope(session))
    index = [c.key for c in table.columns].index(category)
    value: int = table.rows[-1].values[index]
    return value


def test_a_verified_疑点_reaches_attachment2_once_its_entry_is_reviewed(
    db_session: Session, host: CampaignHost, raised: list[Discrepancy]
) -> None:
    """The loop closed: a 疑点 found 属实 becomes an entry that, reviewed like any other,
    is counted in 附件2 under the category its rule implies; not before its review."""
    found = of_rule(raised, "R01")
    before = _attachment2_total(db_session, "S03")
    complete(db_session, host, officer(db_session), found, found_true(db_session, found))
    problem = db_session.get_one(Problem, found.problem_id)
    assert _attachment2_total(db_session, "S03") == before  # waiting for 审核登记
    deadline = (clock.local_now().date() + timedelta(days=30)).isoformat()
    reviewer = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    step = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    tasks.complete(db_session, host, reviewer, step.id, approval(deadline=deadline))
    assert problem.reviewed_at is not None
    assert _attachment2_total(db_session, "S03") == before + problem.amount_fen
    assert problem.amount_fen == found.amount_fen > 0
