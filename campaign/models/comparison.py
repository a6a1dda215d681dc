"""数据比对: payment rolls, the reference lists they are compared with, the rules as data and
the 疑点 the rules raise.

Personal numbers (身份证号, 卡号或账号) are never stored in the clear: each is kept twice, as
ciphertext (`*_cipher`, AES-GCM under a key kept outside the database) and as a keyed hash
(`*_hash`, HMAC-SHA256 under another key) that the rules join and group on in SQL. The
birth date an ID number holds is kept apart (`birth_ymd`) for the age rule."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.catalogue import Programme
from core import clock
from core.db import Base, UTCDateTime

HASH_LENGTH = 32  # hex digits of the keyed hash kept (128 bits)
CIPHER_LENGTH = 120  # base64 of key id, nonce, ciphertext and tag of a number up to 32 digits


def _programme_campaign(context: DefaultExecutionContext) -> int | None:
    """A roll belongs to its programme's campaign (when it was not given one)."""
    programme_id = context.get_current_parameters()["programme_id"]
    found: int | None = context.connection.scalar(
        select(Programme.campaign_id).where(Programme.id == programme_id)
    )
    return found


class PaymentRoll(Base):
    """One imported 发放名册: a programme's payments of a period, from one file."""

    __tablename__ = "payment_roll"
    __table_args__ = (UniqueConstraint("campaign_id", "file_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id"), index=True, default=_programme_campaign
    )
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    file_name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the file: the same file is never imported twice in a campaign (a look-back
    # campaign may import the rolls of months another campaign compared).
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    imported_by: Mapped[str] = mapped_column(String(64))


class RollRow(Base):
    """One payment of a roll. programme_id and period repeat the roll's, so that every rule is
    one query over this table."""

    __tablename__ = "roll_row"
    __table_args__ = (
        Index("ix_roll_row_scope", "programme_id", "period"),
        # Covering the group rules: a group is found on the index alone.
        Index(
            "ix_roll_row_period_person",
            "period",
            "id_hash",
            "programme_id",
            "card_hash",
            "village_id",
        ),
        Index("ix_roll_row_period_card", "period", "card_hash", "id_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(ForeignKey("payment_roll.id", ondelete="CASCADE"))
    row_no: Mapped[int] = mapped_column(Integer)  # the row of the file, header = 1
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    period: Mapped[str] = mapped_column(String(7))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    name: Mapped[str] = mapped_column(String(64))
    id_cipher: Mapped[str] = mapped_column(String(CIPHER_LENGTH))
    id_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), index=True)
    birth_ymd: Mapped[int] = mapped_column(Integer)  # 19880101, from the ID number
    bank: Mapped[str] = mapped_column(String(100))
    card_cipher: Mapped[str] = mapped_column(String(CIPHER_LENGTH))
    card_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    card_last4: Mapped[str] = mapped_column(String(4))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    paid_ymd: Mapped[int] = mapped_column(Integer)  # paid_on as 20220615, for the age rule


class DeceasedPerson(Base):
    """死亡人员名单: one row per person, the latest import replacing the list."""

    __tablename__ = "ref_deceased"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_cipher: Mapped[str] = mapped_column(String(CIPHER_LENGTH))
    id_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    died_on: Mapped[date] = mapped_column(Date)


class PayrollPerson(Base):
    """财政供养人员名单."""

    __tablename__ = "ref_payroll"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_cipher: Mapped[str] = mapped_column(String(CIPHER_LENGTH))
    id_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    employer: Mapped[str] = mapped_column(String(200))


class Beneficiary(Base):
    """Other programmes' beneficiaries, with the village each is registered in."""

    __tablename__ = "ref_beneficiary"
    __table_args__ = (UniqueConstraint("id_hash", "programme_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    id_cipher: Mapped[str] = mapped_column(String(CIPHER_LENGTH))
    id_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), index=True)
    programme_code: Mapped[str] = mapped_column(String(32))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))


class EligibilityStandard(Base):
    """A programme's standard: the most one person may get in a period, the age band, the
    household type, and whether people on the public payroll are excluded."""

    __tablename__ = "ref_standard"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), unique=True)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(8), default="人")  # 人 or 亩
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    household_type: Mapped[str] = mapped_column(String(64), default="")
    excludes_payroll: Mapped[bool] = mapped_column(Boolean, default=False)


class ComparisonRule(Base):
    """A rule as the administrator set it: its kind (what query runs), parameters and whether
    it runs. Every change raises the version and is kept in comparison_rule_version."""

    __tablename__ = "comparison_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ComparisonRuleVersion(Base):
    """A rule as it was from one version on: what a 疑点 of that version was raised by."""

    __tablename__ = "comparison_rule_version"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("comparison_rule.id"))
    version: Mapped[int] = mapped_column(Integer)
    params: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    changed_by: Mapped[str] = mapped_column(String(64))


class Discrepancy(Base):
    """疑点: what a rule found. `key` names the finding (rule and the row or the person, card,
    programme and period), so running the rules again in the campaign never raises it twice;
    the next campaign (a look-back over the same months) raises its own."""

    __tablename__ = "discrepancy"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The campaign whose run raised it (whose rolls it is about).
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    key: Mapped[str] = mapped_column(String(120))
    rule_id: Mapped[int] = mapped_column(ForeignKey("comparison_rule.id"), index=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    period: Mapped[str] = mapped_column(String(7))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    first_row_id: Mapped[int] = mapped_column(ForeignKey("roll_row.id"))  # whose person is shown
    row_ids: Mapped[str] = mapped_column(Text)  # the roll rows concerned, "12,57"
    rows: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # open → verifying (its 核实 case started) → confirmed (属实) or refuted (不属实)
    status: Mapped[str] = mapped_column(String(16), default="open")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The 核实 case (campaign.comparison.verification): one per 疑点, never a second.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"), unique=True)
    # The unit whose inbox verifies it: the township, or the first row's when several.
    verifying_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id"))  # 属实: the entry
    findings: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(64), default="")

    rule: Mapped[ComparisonRule] = relationship()


class ComparisonRun(Base):
    """A comparison asked for on the 数据比对 page: queued, then worked through by the
    scheduler rule by rule, each rule its own transaction, so that the page can show how far
    it is (campaign.comparison.runs)."""

    __tablename__ = "comparison_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    period: Mapped[str | None] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    rules_done: Mapped[int] = mapped_column(Integer, default=0)
    rules_total: Mapped[int] = mapped_column(Integer, default=0)
    current_rule: Mapped[str] = mapped_column(String(32), default="")
    raised: Mapped[int] = mapped_column(Integer, default=0)
    cases_started: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComparisonKeyring(Base):
    """The one row saying which generation of the keys the stored values are under: the
    key file may hold two generations while they are being rotated."""

    __tablename__ = "comparison_keyring"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    # The keyed hash of a fixed text: a key file whose keys are not the ones the values are
    # under (restored from the wrong backup, made anew after a loss) is refused, not used.
    fingerprint: Mapped[str] = mapped_column(String(HASH_LENGTH))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
