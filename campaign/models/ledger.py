"""The problem ledger (问题台账): one row per problem, numbered 2022-<unit code>-0001."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.catalogue import Campaign, FocusItem, Programme, StatCategory
from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime


class ProblemStatus(StrEnum):
    REVIEWING = "reviewing"
    CORRECTING = "correcting"
    RECTIFYING = "rectifying"
    EXTENSION = "extension"
    SIGNOFF = "signoff"
    DISCLOSING = "disclosing"
    CLOSING = "closing"
    CLOSED = "closed"
    VOIDING = "voiding"
    VOIDED = "voided"
    ERROR = "error"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ProblemStatus.REVIEWING: "待审核",
    ProblemStatus.CORRECTING: "待补正",
    ProblemStatus.RECTIFYING: "整改中",
    ProblemStatus.EXTENSION: "延期审批中",
    ProblemStatus.SIGNOFF: "待销号审核",
    ProblemStatus.DISCLOSING: "公示中",
    ProblemStatus.CLOSING: "待确认销号",
    ProblemStatus.CLOSED: "已销号",
    ProblemStatus.VOIDING: "作废审批中",
    ProblemStatus.VOIDED: "已作废",
    ProblemStatus.ERROR: "流程异常",
}


class NumberCounter(Base):
    """The last number given in a numbering scope, e.g. "problem:2022:QSZ" or "clue:2022"."""

    __tablename__ = "number_counter"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Problem(Base):
    __tablename__ = "problem"
    __table_args__ = (
        Index("ix_problem_unit_status", "unit_id", "status"),
        Index("ix_problem_campaign_programme", "campaign_id", "programme_id"),
        # The entries of a campaign that count, by unit (the 督办 page's findings of every
        # township): read from this index alone instead of every row of the ledger (migration
        # 0040).
        Index(
            "ix_problem_campaign_unit_live",
            "campaign_id",
            "unit_id",
            postgresql_where=text("voided_at IS NULL"),
            sqlite_where=text("voided_at IS NULL"),
        ),
        # What the public sees, newest first (campaign.disclosures, migration 0042).
        Index(
            "ix_problem_published",
            "published_at",
            "id",
            postgresql_where=text("published_at IS NOT NULL AND voided_at IS NULL"),
            sqlite_where=text("published_at IS NOT NULL AND voided_at IS NULL"),
        ),
        # The closed problems of a campaign, the latest closed first: those the office may
        # send for a follow-up visit (campaign.evaluations, migration 0043).
        Index(
            "ix_problem_closed",
            "campaign_id",
            "closed_at",
            "id",
            postgresql_where=text("status = 'closed'"),
            sqlite_where=text("status = 'closed'"),
        ),
        # The ledger's search for a fragment (`ILIKE '%text%'`) on PostgreSQL: trigram
        # indexes (pg_trgm, migration 0036) instead of a scan of every entry. SQLite has none.
        *(
            Index(
                f"ix_problem_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("number", "description")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    number: Mapped[str] = mapped_column(String(48), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # the unit whose ledger it is
    village_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    focus_item_id: Mapped[int] = mapped_column(ForeignKey("focus_item.id"))
    stat_category_id: Mapped[int] = mapped_column(ForeignKey("stat_category.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    cards: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    discovered_on: Mapped[date] = mapped_column(Date)
    # Persons the entry concerns, as entered (张三、李四): never shown in public, only used to
    # mask their names in the public text. '' for the rows that predate the field.
    involved_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Set when the reviewer assigns the rectification.
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    responsible_person: Mapped[str] = mapped_column(String(64), default="")
    rectify_type: Mapped[str] = mapped_column(String(16), default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    measures_taken: Mapped[str] = mapped_column(Text, default="")
    # Money that moved in the rectification, as the responsible unit recorded it (附件3):
    # 追缴收回 taken back from whoever should not have had it, 返还发放 paid to the rightful
    # beneficiaries. The commission records only money beyond these (docs/reports.md).
    recovered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    returned_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    rectified_on: Mapped[date | None] = mapped_column(Date)
    # When its unit's reviewer approved the registration: from then on the entry counts in
    # the statutory tables (campaign.reports.counting).
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 核实不属实 / 作废: proposed by one person with a reason, approved by the leading group
    # office; a voided entry stays in the ledger and its history and leaves every table.
    void_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    void_proposed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A problem of group (三) 违法违规 closes only after a clue transfer or a reason not to
    # transfer, recorded at rectification and approved by the office at sign-off.
    no_transfer_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    no_transfer_approved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    public_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=ProblemStatus.REVIEWING.value)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"), index=True)
    registered_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    village: Mapped[Unit | None] = relationship(foreign_keys=[village_id])
    responsible_unit: Mapped[Unit | None] = relationship(foreign_keys=[responsible_unit_id])
    programme: Mapped[Programme] = relationship()
    focus_item: Mapped[FocusItem] = relationship()
    stat_category: Mapped[StatCategory] = relationship()

    @property
    def status_label(self) -> str:
        return ProblemStatus(self.status).label

    @property
    def amount_yuan(self) -> str:
        return yuan(self.amount_fen)

    @property
    def recovered_yuan(self) -> str:
        return yuan(self.recovered_fen)

    @property
    def returned_yuan(self) -> str:
        return yuan(self.returned_fen)

    @property
    def counted(self) -> bool:
        """Whether the entry counts in the statutory tables (campaign.reports.counting)."""
        return self.reviewed_at is not None and self.voided_at is None


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# A search that begins like a number (a year and a dash) is for numbers that begin with it
# (campaign.ledger_queries): a range of this index on PostgreSQL (migration 0039), whatever
# the database's collation. SQLite has none.
Index(
    "ix_problem_number_prefix",
    func.upper(Problem.number).label("number_upper"),
    postgresql_ops={"number_upper": "text_pattern_ops"},
).ddl_if(dialect="postgresql")
