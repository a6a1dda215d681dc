"""A 2023 campaign started beside 2022: 2022's ledger, tables and figures stay as they were
and readable when 2022 is asked for; 2023's lists start empty; an ended campaign's records
refuse every change (campaign.current.ensure_open), whichever service is asked."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import (
    accountability,
    campaign_cases,
    campaigns,
    evaluations,
    files,
    inbox,
    inspections,
    ledger_queries,
    monitor,
    problems,
    reports,
    supervision,
    tasks,
    tip_offs,
)
from campaign.campaign_cases import ensure_case_open
from campaign.current import active_campaign, has_ended, started_campaigns
from campaign.models import Campaign, FiledTable, Problem
from campaign.reports import filing
from campaign.workflow_host import CampaignHost
from core.errors import NotAllowed
from engine import case_locks
from engine.models import Case, WorkItem
from tests.campaign.conftest import approval, open_step, registered, registration, user
from tests.campaign.test_supervision import FEEDBACK, issued, part_of
from tests.campaign.test_supervision import open_step as open_supervision_step
from tests.test_held_rows import counted

ENDED = "已结束，其记录只读"


def _ledger(session: Session, campaign_id: int) -> list[str]:
    office = user(session, "ldxz_ban")
    filters = ledger_queries.LedgerFilters(campaign_id=campaign_id)
    return sorted(p.number for p in session.scalars(ledger_queries.query(session, office, filters)))


def _figures(session: Session, campaign_id: int) -> tuple[object, ...]:
    scope = reports.report_scope(session, campaign=campaign_id)
    return (
        reports.attachment2(session, scope).rows,
        reports.attachment3(session, scope).rows,
        supervision.figures(session, campaign_id),
        accountability.figures(session, campaign_id),
        evaluations.figures(session, campaign_id),
        monitor.overdue_by_unit(session, campaign_id),
    )


def _start_2023(session: Session) -> Campaign:
    made = campaigns.create_from(
        session, active_campaign(session), code="2023-HTK", year=2023, name=""
    )
    return campaigns.start(session, made)


def test_2022_stays_as_it_was_and_2023_starts_empty(
    db_session: Session, host: CampaignHost
) -> None:
    registered(db_session, host, registration())
    year_2022 = active_campaign(db_session)
    ledger_before, figures_before = (
        _ledger(db_session, year_2022.id),
        _figures(db_session, year_2022.id),
    )
    assert ledger_before  # the demo's entries and the one above

    year_2023 = _start_2023(db_session)

    assert active_campaign(db_session).id == year_2023.id
    assert [c.code for c in started_campaigns(db_session)] == ["2023-HTK", "2022-HTK"]
    assert has_ended(db_session, year_2022) and not has_ended(db_session, year_2023)
    assert _ledger(db_session, year_2022.id) == ledger_before
    assert _figures(db_session, year_2022.id) == figures_before
    # The default (no campaign asked for) is now 2023, whose lists start empty.
    assert _ledger(db_session, year_2023.id) == []
    office = user(db_session, "ldxz_ban")
    assert tip_offs.listed(db_session, office) == []
    assert supervision.parts(db_session, office) == []
    assert inspections.listed(db_session) == []
    assert evaluations.listed(db_session, office) == []
    assert monitor.overdue_by_unit(db_session) == []
    table = reports.attachment2(db_session, reports.report_scope(db_session))
    assert all(not any(row.values) for row in table.rows)


def test_an_ended_campaigns_records_refuse_every_change(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())
    step = open_step(db_session, problem)
    year_2022 = active_campaign(db_session)
    _start_2023(db_session)
    reviewer, office = user(db_session, "qsz_fzr"), user(db_session, "ldxz_ban")

    refusals = {
        "complete": lambda: tasks.complete(db_session, host, reviewer, step.id, approval()),
        "claim": lambda: tasks.claim(db_session, host, reviewer, step.id),
        "unclaim": lambda: tasks.unclaim(db_session, reviewer, step.id),
        "comment": lambda: files.add_comment(db_session, reviewer, step.case_id, "补充说明"),
        "reopen": lambda: problems.reopen(
            db_session, host, office, problem, visited_on=problem.discovered_on, finding="复发"
        ),
        "phase": lambda: campaigns.update_phase(
            db_session,
            year_2022,
            1,
            "改名",
            year_2022.phases[0].starts_on,
            year_2022.phases[0].ends_on,
        ),
        "filing": lambda: filing.file_table(
            db_session,
            office,
            reports.report_scope(db_session, campaign=year_2022.id),
            FiledTable.ATTACHMENT2,
            None,
        ),
    }
    status = problem.status
    for attempt in refusals.values():
        with pytest.raises(NotAllowed, match=ENDED):
            attempt()
    db_session.expire_all()
    item = db_session.get(WorkItem, step.id)
    assert item is not None and item.state == "open" and item.claimed_by is None
    assert db_session.get(Problem, problem.id).status == status  # type: ignore[union-attr]


def test_the_campaign_in_progress_still_takes_changes(
    db_session: Session, host: CampaignHost
) -> None:
    """A prepared campaign (not started) ends nothing: 2022's work goes on."""
    problem = registered(db_session, host, registration())
    campaigns.create_from(
        db_session, active_campaign(db_session), code="2023-HTK", year=2023, name=""
    )
    step = open_step(db_session, problem)
    tasks.complete(db_session, host, user(db_session, "qsz_fzr"), step.id, approval())
    assert db_session.scalars(select(Problem.status).where(Problem.id == problem.id)).one() == (
        "rectifying"
    )


def test_an_ended_campaigns_open_work_leaves_the_inbox_of_the_next(
    db_session: Session, host: CampaignHost
) -> None:
    """2022's open steps refuse being done once 2023 starts: they are not in 2023's 我的待办
    (nor its count beside the menu), and are listed again when 2022 is looked at."""
    problem = registered(db_session, host, registration())
    step = open_step(db_session, problem)
    reviewer = user(db_session, "qsz_fzr")
    year_2022 = active_campaign(db_session)
    nothing = inbox.InboxFilters()

    def listed(campaign_id: int | None, tab: str = "open") -> set[int]:
        page = inbox.page(db_session, reviewer, tab, nothing, 1, 500, campaign_id=campaign_id)
        return {row.item.id for row in page.rows}

    assert step.id in listed(None)
    before = inbox.open_count(db_session, reviewer)
    _start_2023(db_session)
    year_2023 = active_campaign(db_session)

    for shown in (None, year_2023.id):
        assert step.id not in listed(shown)
        assert listed(shown, "overdue") == set()
        page = inbox.page(db_session, reviewer, "open", nothing, 1, campaign_id=shown)
        assert page.total == 0 and page.counts == {"open": 0, "claimed": 0, "overdue": 0}
    assert inbox.open_count(db_session, reviewer) == 0
    assert step.id in listed(year_2022.id)
    assert inbox.open_count(db_session, reviewer, year_2022.id) == before

    # 2023's own work is listed in 2023 and not in 2022.
    fresh = registered(db_session, host, registration())
    new_step = open_step(db_session, fresh)
    assert listed(None) == {new_step.id}
    assert new_step.id not in listed(year_2022.id)

    # Filtered (the filters join the ledger around the campaign's condition): each campaign
    # still finds its own by number, and not the other's.
    for number, campaign_id, found in (
        (problem.number, year_2022.id, step.id),
        (fresh.number, None, new_step.id),
    ):
        mine = inbox.InboxFilters(q=number)
        page = inbox.page(db_session, reviewer, "open", mine, 1, campaign_id=campaign_id)
        assert [row.item.id for row in page.rows] == [found]
        other = year_2022.id if campaign_id is None else None
        elsewhere = inbox.page(db_session, reviewer, "open", mine, 1, campaign_id=other)
        assert elsewhere.rows == []
    by_programme = inbox.InboxFilters(programme=fresh.programme.code)
    page = inbox.page(db_session, reviewer, "open", by_programme, 1)
    assert [row.item.id for row in page.rows] == [new_step.id]


def test_the_report_desks_filters_offer_the_chosen_campaigns_periods(
    db_session: Session, host: CampaignHost
) -> None:
    from campaign import obligations, report_overview

    obligations.start_due(db_session, host)
    office = user(db_session, "ldxz_ban")
    year_2022 = active_campaign(db_session)
    offered_2022 = report_overview.choices(db_session, office)
    assert offered_2022["periods"] and offered_2022["units"]
    _start_2023(db_session)
    assert report_overview.choices(db_session, office, year_2022.id) == offered_2022
    offered_2023 = report_overview.choices(db_session, office)
    assert offered_2023["periods"] == [] and offered_2023["units"] == []
    assert offered_2023["obligations"] == offered_2022["obligations"]  # the same deadlines


def test_an_ended_campaigns_timers_wait(db_session: Session, host: CampaignHost) -> None:
    """The sweep fires the timers of the campaign in progress's cases only: a 2022 report's
    deadline timer does not move its case once 2022 has ended."""
    from datetime import timedelta

    from campaign import obligations
    from core import clock
    from engine import scheduler

    started = obligations.start_due(db_session, host)
    assert started
    clock.freeze(clock.now() + timedelta(days=400))

    def due() -> set[int]:
        return set(
            scheduler.due_case_ids(db_session, 10_000, only=host.timers_fire_for(db_session))
        )

    waiting = due()
    assert {o.case_id for o in started} & waiting
    _start_2023(db_session)
    assert not {o.case_id for o in started} & due()
    assert host.timers_fire_for(db_session) is not None


def test_every_kind_of_ended_record_is_refused_whether_its_case_is_held_or_not(
    db_session: Session, host: CampaignHost
) -> None:
    """ensure_case_open reads the held case's own kind, else every kind: the same answer."""
    registered(db_session, host, registration())
    issued(db_session, host)
    _start_2023(db_session)
    cases = db_session.execute(select(Case.id, Case.subject_type)).all()
    assert {"problem", "supervision_part"} <= {kind for _, kind in cases}
    for case_id, _kind in cases:
        held = db_session.get(Case, case_id)  # the session holds it while it is referred to
        assert held is not None
        with pytest.raises(NotAllowed, match=ENDED):
            ensure_case_open(db_session, case_id)
        db_session.expunge_all()
        del held
        with pytest.raises(NotAllowed, match=ENDED):
            ensure_case_open(db_session, case_id)


def test_the_task_read_knows_whether_its_record_has_ended_as_the_check_does(
    db_session: Session, host: CampaignHost
) -> None:
    """visible_item's statements answer the read-only check for every open task of a ledger
    entry (of another record's they answer that they do not know), before and after the
    next campaign starts, as the check over every kind does."""
    registered(db_session, host, registration())
    issued(db_session, host)
    for year_started in (False, True):
        if year_started:
            _start_2023(db_session)
        open_items = db_session.scalars(select(WorkItem.id).where(WorkItem.state == "open"))
        for item_id, to_change in itertools.product(open_items.all(), (False, True)):
            # The statement visible_item runs for a page, and for a change (after the case's
            # lock, with all the step reads: the task's row of many).
            if to_change:
                locked = case_locks.read_for_change(
                    db_session,
                    item_id,
                    with_record=campaign_cases.READ_WITH_TASKS,
                    columns=(campaign_cases._ended_of_entry(),),
                )
                assert locked is not None
                item, ended = locked.item, locked.columns[0]
            else:
                found = db_session.execute(
                    campaign_cases._item_with_case(), {"item_id": item_id}
                ).first()
                assert found is not None
                item, ended = found
            if item.case.subject_type != "problem":  # not known: ensure_case_open asks
                assert ended is None, item_id
                ended = year_started
            db_session.expunge_all()  # the check over every kind
            try:
                ensure_case_open(db_session, item.case_id)
            except NotAllowed:
                assert ended, item_id
            else:
                assert not ended, item_id
            assert ended == year_started


def test_a_task_found_open_is_asked_again_after_its_transaction(
    db_session: Session, host: CampaignHost
) -> None:
    problem = registered(db_session, host, registration())
    step = open_step(db_session, problem)
    reviewer = user(db_session, "qsz_fzr")
    assert campaign_cases.visible_item(db_session, reviewer, step.id) is not None
    with counted(db_session) as statements:
        ensure_case_open(db_session, step.case_id)  # answered by the task's read
    assert statements == []
    _start_2023(db_session)
    db_session.commit()  # 2022 has ended; what the read found is expired with the transaction
    with pytest.raises(NotAllowed, match=ENDED):
        ensure_case_open(db_session, step.case_id)
    # An ended campaign's task is still found (read-only), and a change is refused.
    assert campaign_cases.visible_item(db_session, reviewer, step.id) is not None
    with pytest.raises(NotAllowed, match=ENDED):
        tasks.complete(db_session, host, reviewer, step.id, approval())


def test_a_change_to_another_records_task_of_an_ended_campaign_is_asked_and_refused(
    db_session: Session, host: CampaignHost
) -> None:
    """A change's read answers for a ledger entry's case only; a 督办's part is asked about
    over its own table before the change, and refused."""
    part = part_of(issued(db_session, host), "QSZ")
    step = open_supervision_step(db_session, part)
    _start_2023(db_session)
    db_session.expunge_all()
    officer = user(db_session, "qsz_jbr")
    assert campaign_cases.visible_item(db_session, officer, step.id, to_change=True) is not None
    with pytest.raises(NotAllowed, match=ENDED):
        tasks.complete(db_session, host, officer, step.id, FEEDBACK)
