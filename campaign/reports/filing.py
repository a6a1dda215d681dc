"""Filing a statutory table (报送): the leading group office files 附件2 or 附件3 of a scope and
period; the filing keeps the exact figures, 填表单位, 填表人, 审核人, 填报日期, the SHA-256 of the
figures and the workbook as handed over, and never changes (the table is append-only).

审核人: the person who checked the table before it went out, named by the filer. It must be
someone else, with an enabled account, who is a member of the leading group office or the
单位负责人 (reviewer) of the 填表单位 or of a unit where the filer works as the office. Both
names are printed on the filed workbook and kept in the filing and its audit record.

Later, the same scope's current figures are compared with the last filing cell by cell, and a
filing is verified against its hashes and the chained audit record written when it was filed."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign import audit
from campaign.current import active_campaign, ensure_open
from campaign.models import AuditEvent, FiledTable, ReportFiling, RoleAssignment, User
from campaign.models.accounts import Role
from campaign.reports.attachment2 import attachment2
from campaign.reports.attachment3 import attachment3
from campaign.reports.filed_figures import (
    Change,
    Document,
    attachment2_document,
    attachment3_document,
    canonical,
    changes,
    has_figures,
    sha256,
)
from campaign.reports.scope import ReportScope, report_scope, units_open_to
from core import clock, paging
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from forms.tables import (
    Attachment2Table,
    Attachment3Table,
    Signature,
    write_attachment2,
    write_attachment3,
)

FILE_ACTION = "report.file"
DOWNLOAD_ACTION = "report.filing_download"
FILINGS_PAGE = 20
REVIEWER_RULE = "审核人须为领导小组办公室成员，或填表单位、领导小组办公室所在单位的单位负责人"


def scope_key(table: FiledTable, scope: ReportScope) -> str:
    """The table and scope a filing is of: its versions are counted per key."""
    return "|".join(
        (
            table.value,
            str(scope.campaign_id),
            scope.unit_code,
            str(scope.date_from or ""),
            str(scope.date_to or ""),
        )
    )


def _scope_fields(scope: ReportScope) -> dict[str, object]:
    return {
        "campaign": scope.campaign_id,
        "unit": scope.unit_code,
        "date_from": scope.date_from.isoformat() if scope.date_from else None,
        "date_to": scope.date_to.isoformat() if scope.date_to else None,
    }


Table = Attachment2Table | Attachment3Table


def current_table(session: Session, scope: ReportScope, table: FiledTable) -> Table:
    if table is FiledTable.ATTACHMENT2:
        return attachment2(session, scope)
    return attachment3(session, scope, by_township=table.by_township)


def document_of(found: Table, scope: ReportScope, table: FiledTable) -> Document:
    """A computed table as the document a filing keeps."""
    if isinstance(found, Attachment2Table):
        return attachment2_document(found, _scope_fields(scope))
    return attachment3_document(found, _scope_fields(scope), table.value)


def _workbook(found: Table, sign: Signature) -> bytes:
    buffer = io.BytesIO()
    if isinstance(found, Attachment2Table):
        write_attachment2(found, buffer, sign)
    else:
        write_attachment3(found, buffer, sign)
    return buffer.getvalue()


def may_file(user: User) -> bool:
    return user.has_role(Role.SUPERVISOR.value)


def reviewers_for(session: Session, filer: User, scope: ReportScope) -> list[User]:
    """Who may be named 审核人 of a table the filer files for the scope (REVIEWER_RULE)."""
    office_units = {r.unit_id for r in filer.roles if r.role == Role.SUPERVISOR.value}
    heads_of = office_units | {scope.unit_id}
    holders = select(RoleAssignment.user_id).where(
        or_(
            RoleAssignment.role == Role.SUPERVISOR.value,
            and_(
                RoleAssignment.role == Role.REVIEWER.value,
                RoleAssignment.unit_id.in_(heads_of),
            ),
        )
    )
    return list(
        session.scalars(
            select(User)
            .where(User.enabled.is_(True), User.id != filer.id, User.id.in_(holders))
            .order_by(User.username)
        )
    )


def _check_reviewer(
    session: Session, filer: User, scope: ReportScope, reviewer: User | None
) -> User:
    if reviewer is None:
        raise InvalidInput(fields={"reviewer": "请选择审核人"})
    if reviewer.id == filer.id:
        raise InvalidInput(fields={"reviewer": "审核人不能是填表人本人，须由另一人审核"})
    if reviewer.id not in {p.id for p in reviewers_for(session, filer, scope)}:
        raise InvalidInput(
            fields={
                "reviewer": f"{reviewer.full_name}（{reviewer.username}）不能担任审核人："
                f"{REVIEWER_RULE}，且账户须为启用状态"
            }
        )
    return reviewer


def latest(session: Session, scope: ReportScope, table: FiledTable) -> ReportFiling | None:
    """The last filing of this table for exactly this scope and period."""
    return session.scalars(
        select(ReportFiling)
        .where(ReportFiling.scope_key == scope_key(table, scope))
        .order_by(ReportFiling.version.desc())
        .limit(1)
    ).first()


def file_table(
    session: Session, filer: User, scope: ReportScope, table: FiledTable, reviewer: User | None
) -> ReportFiling:
    """Files the table's current figures for the scope; refused for a filer outside the
    leading group office, a reviewer the rule does not allow, a table of zeros, and figures
    the same as the scope's last filing."""
    if not may_file(filer):
        raise NotAllowed("只有领导小组办公室可以报送统计表")
    ensure_open(session, scope.campaign_id)
    checked = _check_reviewer(session, filer, scope, reviewer)
    # One computation gives both the figures and the workbook: they cannot disagree.
    found = current_table(session, scope, table)
    document = document_of(found, scope, table)
    what = f"{scope.unit_name}{scope.period_label or '（全部时段）'}的{table.label}"
    if not has_figures(document):
        raise InvalidInput(f"{what}各项均为零，没有可报送的数字")
    figures = canonical(document)
    digest = sha256(figures)
    last = latest(session, scope, table)
    if last is not None and last.figures_sha256 == digest:
        raise Conflict(
            f"{what}已于 {last.filed_on} 报送过相同的数字（第 {last.version} 次报送），"
            "数字没有变化，无需重复报送"
        )
    sign = Signature(filer.full_name, checked.full_name, clock.local_now().date())
    workbook = _workbook(found, sign)
    filing = ReportFiling(
        table_kind=table.value,
        campaign_id=scope.campaign_id,
        unit_id=scope.unit_id,
        date_from=scope.date_from,
        date_to=scope.date_to,
        scope_key=scope_key(table, scope),
        version=(last.version if last else 0) + 1,
        filing_unit=scope.unit_name,
        period=scope.period_label,
        figures=figures,
        figures_sha256=digest,
        workbook=workbook,
        workbook_sha256=sha256(workbook),
        filed_by=filer.id,
        filer_name=sign.filer,
        reviewer_id=checked.id,
        reviewer_name=sign.reviewer,
        filed_on=sign.filed_on,
        filed_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(filing)
    except IntegrityError:
        # Someone filed the same scope at the same moment and took this version number.
        raise Conflict(f"{what}刚刚有人报送，请刷新后查看最新的报送再决定") from None
    audit.record(
        session,
        FILE_ACTION,
        actor=filer,
        target=_target(filing),
        **_sealed(filing),
        unit=scope.unit_code,
        version=filing.version,
        reviewer=checked.username,
    )
    return filing


def _target(filing: ReportFiling) -> str:
    return f"report_filing:{filing.id}"


def _sealed(filing: ReportFiling) -> dict[str, str]:
    """What the audit record of the filing keeps, to check the filing against later."""
    return {
        "table": filing.table_kind,
        "figures_sha256": filing.figures_sha256,
        "workbook_sha256": filing.workbook_sha256,
        "filer_name": filing.filer_name,
        "reviewer_name": filing.reviewer_name,
        "filed_on": filing.filed_on.isoformat(),
        "period": filing.period,
    }


def visible_units(session: Session, user: User | None) -> set[int] | None:
    """The units whose filings the person may see (those whose reports they may ask for);
    None: every unit (the command line)."""
    if user is None:
        return None
    return {u.id for u in units_open_to(session, user)}


def filings(
    session: Session,
    user: User | None,
    *,
    unit_id: int | None = None,
    campaign_id: int | None = None,
    page: int = 1,
    per_page: int = FILINGS_PAGE,
) -> paging.Page[ReportFiling]:
    """Filings newest first: of one unit, or of every unit the person may see; of one
    campaign (default the one in progress)."""
    query = (
        select(ReportFiling)
        .where(ReportFiling.campaign_id == (campaign_id or active_campaign(session).id))
        .order_by(ReportFiling.id.desc())
    )
    units = visible_units(session, user)
    if units is not None:
        query = query.where(ReportFiling.unit_id.in_(units))
    if unit_id is not None:
        query = query.where(ReportFiling.unit_id == unit_id)
    return paging.fetch(session, query, page, per_page)


def get(session: Session, filing_id: int, user: User | None) -> ReportFiling:
    filing = session.get(ReportFiling, filing_id)
    units = visible_units(session, user)
    if filing is None or (units is not None and filing.unit_id not in units):
        raise NotFound(f"报送记录不存在：{filing_id}")
    return filing


@dataclass(frozen=True)
class Verification:
    filing_id: int
    faults: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.faults


def verify(session: Session, filing: ReportFiling) -> Verification:
    """Whether the filing is still what was filed: its figures and workbook match their
    hashes, and both, with the names and date, match the audit record made when it was
    filed (which the audit chain protects)."""
    faults = []
    if sha256(filing.figures) != filing.figures_sha256:
        faults.append("留档数字与其 SHA-256 校验值不符")
    if sha256(filing.workbook) != filing.workbook_sha256:
        faults.append("留档 Excel 文件与其 SHA-256 校验值不符")
    record = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == FILE_ACTION,
            AuditEvent.target == _target(filing),
            AuditEvent.success.is_(True),
        )
    ).first()
    if record is None:
        faults.append("找不到报送时的审计记录")
    else:
        kept = json.loads(record.detail or "{}")
        differing = [name for name, value in _sealed(filing).items() if kept.get(name) != value]
        if differing:
            faults.append("与报送时的审计记录不符：" + "、".join(differing))
    return Verification(filing.id, tuple(faults))


def download(
    session: Session, filing_id: int, *, user: User | None, actor_name: str | None = None
) -> tuple[str, bytes]:
    """The workbook exactly as filed, with its file name; refused (and the refusal kept in
    the audit log) when the filing no longer verifies."""
    filing = get(session, filing_id, user)
    checked = verify(session, filing)
    if not checked.ok:
        audit.record_refusal(
            session,
            DOWNLOAD_ACTION,
            actor=user,
            actor_name=actor_name,
            target=_target(filing),
            faults=list(checked.faults),
        )
        raise Conflict(
            f"第 {filing.id} 号报送留档校验未通过（{'；'.join(checked.faults)}），"
            "不能作为报送原件下载，请联系审计管理员核查"
        )
    audit.record(
        session,
        DOWNLOAD_ACTION,
        actor=user,
        actor_name=actor_name,
        target=_target(filing),
        table=filing.table_kind,
        unit=filing.unit.code,
        version=filing.version,
    )
    return file_name(filing), filing.workbook


def file_name(filing: ReportFiling) -> str:
    label = filing.table.label.replace(" ", "_").replace("（", "_").replace("）", "")
    return f"{label}_{filing.unit.code}_第{filing.version}次报送_{filing.filed_on}.xlsx"


def scope_of(session: Session, filing: ReportFiling) -> ReportScope:
    return report_scope(
        session,
        campaign=filing.campaign_id,
        unit_code=filing.unit.code,
        date_from=filing.date_from,
        date_to=filing.date_to,
    )


def changes_since(
    session: Session, filing: ReportFiling, current: Table | None = None
) -> list[Change]:
    """Every cell of the table whose current figure differs from the filed one; `current`:
    the table of the filing's scope already computed (the reports page has it)."""
    filed: Document = json.loads(filing.figures)
    scope = scope_of(session, filing)
    if current is None:
        current = current_table(session, scope, filing.table)
    return changes(filed, document_of(current, scope, filing.table))
