"""Running the enabled rules over the rolls, and listing the 疑点 they raised, masked."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from campaign import audit
from campaign.comparison import keyring, queries, rules
from campaign.comparison.protection import KeyFile
from campaign.comparison.verification import STATUS_LABELS
from campaign.current import active_campaign, shown_id
from campaign.masking import mask_text, masked_name
from campaign.models import ComparisonRule, Discrepancy, PaymentRoll, Programme, RollRow, Unit
from core import clock
from core.days import read_month
from core.errors import InvalidInput, NotFound
from core.paging import Page, count, window


def checked_period(period: str | None) -> str | None:
    """A period as "YYYY-MM", read as officers write a month (2022-6, 2022/6, 2022年6月)."""
    if period is None:
        return None
    month = read_month(period)
    if month is None:
        raise InvalidInput("期间须写作 YYYY-MM，如 2022-06", fields={"period": "格式应为 YYYY-MM"})
    return month


CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _code(value: str, field: str, label: str) -> str:
    """A code as typed in a filter: letters and digits only, so nothing odd reaches SQL."""
    if not CODE.fullmatch(value.strip()):
        raise InvalidInput(f"{label}不正确：只能是字母和数字", fields={field: f"{label}不正确"})
    return value.strip().upper()


def programme_by_code(session: Session, code: str, campaign_id: int | None = None) -> Programme:
    found = session.scalar(
        select(Programme).where(
            Programme.campaign_id == shown_id(session, campaign_id),
            Programme.code == _code(code, "programme", "项目代码"),
        )
    )
    if found is None:
        raise NotFound(f"没有代码为 {code} 的补贴项目")
    return found


@dataclass
class RunResult:
    raised: dict[str, int] = field(default_factory=dict)  # rule code -> new 疑点
    skipped: list[str] = field(default_factory=list)  # rules not enabled
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.raised.values())


def run_comparison(
    session: Session,
    *,
    programme_code: str | None = None,
    period: str | None = None,
    actor_name: str,
    progress: Callable[[str, int, int], None] = lambda rule, done, total: None,
) -> RunResult:
    """Every enabled rule once over the rows in scope; 疑点 raised before stay as they are."""
    programme, scope = scope_of(session, programme_code, period)
    found_at = clock.now()
    result = RunResult()
    all_rules = rules.all_rules(session)
    for done, rule in enumerate(all_rules):
        progress(rule.code, done, len(all_rules))
        if not rule.enabled:
            result.skipped.append(rule.code)
            continue
        started = time.monotonic()
        result.raised[rule.code] = run_rule(session, rule, scope, found_at)
        result.seconds[rule.code] = time.monotonic() - started
    progress("", len(all_rules), len(all_rules))
    audit.record(
        session,
        "comparison.run",
        actor_name=actor_name,
        target=f"programme:{programme.code if programme else '*'}:{scope.period or '*'}",
        raised=result.total,
    )
    session.flush()
    return result


def scope_of(
    session: Session, programme_code: str | None, period: str | None
) -> tuple[Programme | None, queries.Scope]:
    """The rows a run compares: the programme's, else those of the campaign in progress. The
    campaign is named in the statements only while another campaign's rolls are stored: the
    condition costs the group rules their covering indexes, so one campaign's runs do without."""
    programme = programme_by_code(session, programme_code) if programme_code else None
    campaign_id = active_campaign(session).id
    others = session.scalar(
        select(PaymentRoll.id).where(PaymentRoll.campaign_id != campaign_id).limit(1)
    )
    return programme, queries.Scope(
        campaign_id,
        programme.id if programme else None,
        checked_period(period),
        own_rows_only=programme is None and others is not None,
    )


def run_rule(
    session: Session, rule: ComparisonRule, scope: queries.Scope, found_at: datetime
) -> int:
    """One rule over the rows in scope: the number of new 疑点."""
    return queries.raise_discrepancies(
        session,
        kind=rule.kind,
        rule_id=rule.id,
        rule_code=rule.code,
        version=rule.version,
        params=rules.parameters(rule),
        scope=scope,
        found_at=found_at,
    )


@dataclass(frozen=True)
class DiscrepancyView:
    id: int
    rule: str
    rule_name: str
    rule_version: int
    programme: str
    period: str
    township: str
    village: str
    person: str  # masked name and ID number
    rows: int
    row_ids: str
    amount_fen: int
    status: str
    status_label: str
    case_id: int | None
    problem_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "amount": f"{self.amount_fen / 100:.2f}"}


def list_discrepancies(
    session: Session,
    key_file: KeyFile,
    *,
    programme_code: str | None = None,
    period: str | None = None,
    rule_code: str | None = None,
    township_code: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 100,
    campaign_id: int | None = None,
) -> Page[DiscrepancyView]:
    """The 疑点 of the campaign shown (whose run raised them), newest first, each person
    shown masked (张某, 42**********1234)."""
    shown = shown_id(session, campaign_id)
    township, village = aliased(Unit), aliased(Unit)
    query = (
        select(Discrepancy, ComparisonRule, Programme, township, village, RollRow)
        .join(ComparisonRule, ComparisonRule.id == Discrepancy.rule_id)
        .join(RollRow, RollRow.id == Discrepancy.first_row_id)
        .where(Discrepancy.campaign_id == shown)
        .outerjoin(Programme, Programme.id == Discrepancy.programme_id)
        .outerjoin(township, township.id == Discrepancy.township_id)
        .outerjoin(village, village.id == Discrepancy.village_id)
        .order_by(Discrepancy.id.desc())
    )
    if programme_code:
        query = query.where(
            Discrepancy.programme_id == programme_by_code(session, programme_code, shown).id
        )
    if period:
        query = query.where(Discrepancy.period == checked_period(period))
    if rule_code:
        query = query.where(ComparisonRule.code == _code(rule_code, "rule", "规则代码"))
    if township_code:
        query = query.where(township.code == _code(township_code, "township", "乡镇代码"))
    if status:
        if status not in STATUS_LABELS:
            known = "、".join(f"{code}（{label}）" for code, label in STATUS_LABELS.items())
            raise InvalidInput(f"没有这种疑点状态：可选 {known}", fields={"status": "状态不正确"})
        query = query.where(Discrepancy.status == status)
    rows = session.execute(window(query, page, per_page)).all()
    # Only when there is someone to show: listing nothing needs no key (nor records one).
    protector = keyring.protector(session, key_file) if rows else None

    def view(row: Any) -> DiscrepancyView:
        assert protector is not None
        found, rule, programme, town, place, first = row
        person = f"{masked_name(first.name)} {mask_text(protector.decrypt(first.id_cipher))}"
        return DiscrepancyView(
            id=found.id,
            rule=rule.code,
            rule_name=rule.name,
            rule_version=found.rule_version,
            programme=programme.name if programme else "（多个项目）",
            period=found.period,
            township=town.name if town else "（多个乡镇）",
            village=place.name if place else "（多个村）",
            person=person,
            rows=found.rows,
            row_ids=found.row_ids,
            amount_fen=found.amount_fen,
            status=found.status,
            status_label=STATUS_LABELS.get(found.status, found.status),
            case_id=found.case_id,
            problem_id=found.problem_id,
        )

    return Page([view(row) for row in rows], count(session, query), page, per_page)
