from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import bootstrap, demo, deployment
from campaign.models import (
    Campaign,
    FocusItem,
    Programme,
    RoleAssignment,
    StatCategory,
    Unit,
    User,
)
from campaign.reference import load_reference_data
from campaign.workflow_host import CampaignHost
from core import schema
from core.db import Database
from engine import definitions
from tests.databases import fresh_database_url


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_reference_data_follows_the_notice(db_session: Session) -> None:
    campaign = db_session.scalar(select(Campaign).where(Campaign.code == "2022-HTK"))
    assert campaign is not None
    assert campaign.document_no == "临空财发〔2022〕4号"
    assert [(p.name, p.starts_on, p.ends_on) for p in campaign.phases] == [
        ("动员部署", date(2022, 5, 1), date(2022, 5, 15)),
        ("集中整治", date(2022, 6, 1), date(2022, 11, 30)),
        ("总结报告", date(2022, 12, 1), date(2022, 12, 31)),
    ]
    deadlines = {d.code: d for d in campaign.deadlines}
    assert deadlines["monthly_report"].day_of_month == 23
    assert deadlines["spot_check"].due_on == date(2022, 7, 31)
    assert deadlines["stage_summary"].due_on == date(2022, 7, 5)
    assert deadlines["annual_summary"].due_on == date(2022, 12, 5)

    central = [p for p in campaign.programmes if p.level == "central"]
    assert len(central) == 20
    assert central[0].name == "困难群众救助资金"
    assert central[11].name == "实际种粮农民一次性补贴"
    assert central[12].name == "农机购置补贴"
    assert central[19].name == "2021年租赁住房补贴"

    focus = list(db_session.scalars(select(FocusItem).order_by(FocusItem.code)))
    assert [f.code for f in focus][:3] == ["1.1", "1.2", "1.3"]
    assert len(focus) == 14
    assert sum(1 for f in focus if f.group_no == 3) == 4

    stats = list(db_session.scalars(select(StatCategory).order_by(StatCategory.sort_order)))
    assert stats[0].name == "贪污侵占"
    assert [s.measure for s in stats].count("cards") == 1
    assert stats[11].measure == "cards"
    assert len(stats) == 14


def test_units_include_teams_commission_and_leading_office(db_session: Session) -> None:
    kinds = {code: kind for code, kind in db_session.execute(select(Unit.code, Unit.kind))}
    assert kinds["LKQ"] == "district"
    assert kinds["CJJ-ZHK"] == "office"
    assert kinds["JJW"] == "discipline"
    assert [kinds[f"JCZB{n}"] for n in (1, 2, 3)] == ["inspection_team"] * 3


def test_demo_adds_townships_villages_and_one_account_per_role(db_session: Session) -> None:
    townships = db_session.scalars(select(Unit).where(Unit.kind == "township")).all()
    assert len(townships) == len(demo.TOWNSHIPS)
    for township in townships:
        assert township.children and all(v.kind == "village" for v in township.children)
    roles = set(db_session.scalars(select(RoleAssignment.role)))
    assert roles == {
        "officer",
        "reviewer",
        "supervisor",
        "inspector",
        "discipline",
        "admin",
        "security",
        "auditor",
    }
    levels = {p.level for p in db_session.scalars(select(Programme))}
    assert levels == {"central", "city", "county"}


def test_init_is_idempotent_and_keeps_what_administrators_changed(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db)
            with db.transaction() as session:
                demo.load_demo_data(session, load_reference_data(session))
            with db.transaction() as session:
                counts = [_count(session, m) for m in (Unit, User, Programme, FocusItem)]
                renamed = session.scalar(select(Unit).where(Unit.code == "QSZ"))
                assert renamed is not None
                renamed.name = "青山街道"
            schema.upgrade(db)
            with db.transaction() as session:
                demo.load_demo_data(session, load_reference_data(session))
            with db.transaction() as session:
                assert [_count(session, m) for m in (Unit, User, Programme, FocusItem)] == counts
                assert session.scalar(select(Unit.name).where(Unit.code == "QSZ")) == "青山街道"
        finally:
            db.dispose()


def test_init_never_replaces_a_diagram_an_administrator_deployed(
    db_session: Session,
) -> None:
    """Restarting `make run` (ykt init) deployed the shipped diagram again as a new version on
    top of the administrator's, so new cases silently went back to the shipped lifecycle."""
    host = CampaignHost()
    shipped = Path("workflows/problem_lifecycle.bpmn").read_text(encoding="utf-8")
    before = definitions.require_latest(db_session, "problem_lifecycle")
    assert before.deployed_by == "tests"  # deployed by the suite's own `initialise`
    mine = shipped.replace('name="销号审核"', 'name="销号审核（本区）"')
    admin_version, _ = deployment.deploy(db_session, host, mine, by_name="admin", source="test")

    report = bootstrap.initialise(db_session, with_demo=False, deployed_by="tests")

    assert definitions.require_latest(db_session, "problem_lifecycle").id == admin_version.id
    line = next(r for r in report.deployed if "problem_lifecycle" in r)
    assert line.startswith("未变化")
    # A product upgrade that changes the shipped diagram does not override the administrator
    # either: it is reported, for the administrator to compare and deploy.
    upgraded = shipped.replace('name="销号审核"', 'name="销号审核（新版）"')
    assert bootstrap.deploy_shipped(db_session, host, upgraded, "tests").startswith("未覆盖")
    assert definitions.require_latest(db_session, "problem_lifecycle").id == admin_version.id


def test_init_deploys_an_upgraded_shipped_diagram_over_a_shipped_one(db_session: Session) -> None:
    host = CampaignHost()
    shipped = Path("workflows/problem_lifecycle.bpmn").read_text(encoding="utf-8")
    before = definitions.require_latest(db_session, "problem_lifecycle")
    upgraded = shipped.replace('name="销号审核"', 'name="销号审核（新版）"')
    assert bootstrap.deploy_shipped(db_session, host, upgraded, "tests").startswith("已部署")
    latest = definitions.require_latest(db_session, "problem_lifecycle")
    assert latest.version == before.version + 1
    assert bootstrap.deploy_shipped(db_session, host, upgraded, "tests").startswith("未变化")
