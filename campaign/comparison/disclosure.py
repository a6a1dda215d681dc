"""The roll rows of a 疑点 as people see them: masked everywhere (张某, 42**********1234,
card ****1234), and in full only to whoever verifies it, on request, each time recorded in
the audit log (`comparison.reveal`); and each rule's hit rate, so that bad rules are fixed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import audit
from campaign.comparison import keyring, rules
from campaign.comparison.protection import KeyFile
from campaign.comparison.verification import Status, row_ids
from campaign.masking import mask_text, masked_name
from campaign.models import ComparisonRule, Discrepancy, PaymentRoll, RollRow, Unit, User
from campaign.models.accounts import Role
from core.errors import NotAllowed


@dataclass(frozen=True)
class RowShown:
    file_name: str
    row_no: int
    name: str
    id_number: str
    village: str
    bank: str
    card: str
    amount_fen: int
    paid_on: date


def may_reveal(user: User, found: Discrepancy) -> bool:
    """The officers of the township that verifies it: those the 核实 task goes to."""
    unit_id = found.verifying_unit_id
    return unit_id is not None and user.has_role(Role.OFFICER.value, unit_id)


def rows_masked(session: Session, key_file: KeyFile, found: Discrepancy) -> list[RowShown]:
    return _rows(session, key_file, found, full=False)


def rows_in_full(
    session: Session, key_file: KeyFile, user: User, found: Discrepancy
) -> list[RowShown]:
    """The rows with names, ID and card numbers in full, for the verifying officer only;
    every view is in the audit log, and so is every refusal."""
    if not may_reveal(user, found):
        audit.record_refusal(
            session, "comparison.reveal", actor=user, target=f"discrepancy:{found.id}"
        )
        raise NotAllowed("只有核实该疑点的乡镇经办人可以查看完整号码")
    shown = _rows(session, key_file, found, full=True)
    audit.record(
        session,
        "comparison.reveal",
        actor=user,
        target=f"discrepancy:{found.id}",
        rows=len(shown),
    )
    return shown


def _rows(session: Session, key_file: KeyFile, found: Discrepancy, *, full: bool) -> list[RowShown]:
    query = (
        select(RollRow, PaymentRoll.file_name, Unit.name)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Unit, Unit.id == RollRow.village_id)
        .where(RollRow.id.in_(row_ids(found)))
        .order_by(PaymentRoll.id, RollRow.row_no)
    )
    rows = session.execute(query).all()
    protector = keyring.protector(session, key_file) if rows else None
    shown = []
    for row, file_name, village in rows:
        assert protector is not None
        number = protector.decrypt(row.id_cipher)
        card = protector.decrypt(row.card_cipher)
        shown.append(
            RowShown(
                file_name=file_name,
                row_no=row.row_no,
                name=row.name if full else masked_name(row.name),
                id_number=number if full else mask_text(number),
                village=village,
                bank=row.bank,
                card=card if full else "*" * (len(card) - 4) + row.card_last4,
                amount_fen=row.amount_fen,
                paid_on=row.paid_on,
            )
        )
    return shown


@dataclass(frozen=True)
class HitRate:
    code: str
    name: str
    kind_label: str
    enabled: bool
    version: int
    raised: int
    confirmed: int  # 属实
    refuted: int  # 不属实
    pending: int  # not decided yet

    @property
    def decided(self) -> int:
        return self.confirmed + self.refuted

    @property
    def rate(self) -> float | None:
        """属实 / all decided; None while none is decided."""
        return self.confirmed / self.decided if self.decided else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate:.0%}"


def hit_rates(session: Session) -> list[HitRate]:
    """Every rule with how many of its 疑点 were found true among those decided."""
    counts: dict[tuple[int, str], int] = {
        (rule_id, status): n
        for rule_id, status, n in session.execute(
            select(Discrepancy.rule_id, Discrepancy.status, func.count()).group_by(
                Discrepancy.rule_id, Discrepancy.status
            )
        )
    }
    found: list[HitRate] = []
    for rule in session.scalars(select(ComparisonRule).order_by(ComparisonRule.code)):
        confirmed = counts.get((rule.id, Status.CONFIRMED.value), 0)
        refuted = counts.get((rule.id, Status.REFUTED.value), 0)
        raised = sum(n for (rule_id, _), n in counts.items() if rule_id == rule.id)
        found.append(
            HitRate(
                code=rule.code,
                name=rule.name,
                kind_label=rules.KINDS[rule.kind].label,
                enabled=rule.enabled,
                version=rule.version,
                raised=raised,
                confirmed=confirmed,
                refuted=refuted,
                pending=raised - confirmed - refuted,
            )
        )
    return found
