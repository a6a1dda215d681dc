"""Each rule kind as one set-based statement: INSERT INTO discrepancy SELECT ... over the
roll rows and the reference lists, joined and grouped on the keyed hashes, ending in ON
CONFLICT (campaign_id, "key") DO NOTHING, so a 疑点 raised before in the campaign is never
raised again. The same SQL runs on SQLite and PostgreSQL; only the aggregate that lists the
rows differs.

A kind that looks at one row makes its key from the rule and the row; a kind that looks at
a group (a person, a card) from the rule, the period and the group's hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from campaign.models.comparison import HASH_LENGTH
from core.db import UTCDateTime

_COLUMNS = (
    'campaign_id, "key", rule_id, rule_version, programme_id, period, township_id, village_id, '
    'first_row_id, row_ids, "rows", amount_fen, status, found_at'
)


@dataclass(frozen=True)
class Scope:
    campaign_id: int  # the campaign the run is of: the 疑点 it raises are the campaign's
    programme_id: int | None = None
    period: str | None = None
    # No programme named: compare only the campaign's programmes' rows. Set while another
    # campaign's rolls are stored (a look-back over the same months would otherwise group a
    # person's 2022 rows with their 2023 rows).
    own_rows_only: bool = False

    def where(self, alias: str = "r") -> str:
        parts = []
        if self.programme_id is not None:
            parts.append(f"{alias}.programme_id = :programme_id")
        elif self.own_rows_only:
            of_campaign = "SELECT id FROM programme WHERE campaign_id = :campaign_id"
            parts.append(f"{alias}.programme_id IN ({of_campaign})")
        if self.period is not None:
            parts.append(f"{alias}.period = :period")
        return "".join(f" AND {p}" for p in parts)


def _row_select(source: str, condition: str, scope: Scope) -> str:
    """A kind that flags single rows: `source` joins roll_row r to what it needs. A reference
    list joined to the roll comes first as CROSS JOIN: SQLite then reads the list and looks
    each person up in the roll's index, instead of reading the whole roll (PostgreSQL plans
    a CROSS JOIN with its condition as any join)."""
    return (
        "SELECT :campaign_id, :prefix || CAST(r.id AS VARCHAR(20)), :rule_id, :version, "
        "r.programme_id, r.period, r.township_id, r.village_id, r.id, "
        "CAST(r.id AS VARCHAR(20)), 1, r.amount_fen, 'open', :found_at "
        f"FROM {source} WHERE {condition}{scope.where()}"
    )


def _one_or_null(column: str) -> str:
    return f"CASE WHEN MIN(r.{column}) = MAX(r.{column}) THEN MIN(r.{column}) END"


def _group_select(group: list[str], key: str, having: str, scope: Scope, dialect: str) -> str:
    """A kind that flags a group of rows (grouped by `group`, keyed by `key`)."""
    if dialect == "postgresql":
        ids = "string_agg(CAST(r.id AS VARCHAR(20)), ',' ORDER BY r.id)"
    else:
        ids = "group_concat(r.id, ',')"
    # The offending groups are found first, over the covering indexes of roll_row (no row
    # is fetched); only their rows are then read for programme, place, amount and ids.
    columns = [column.removeprefix("r.") for column in group]
    offending = (
        f"SELECT {', '.join(group)} FROM roll_row r WHERE 1 = 1{scope.where()} "
        f"GROUP BY {', '.join(group)} HAVING {having}"
    )
    joined = " AND ".join(f"g.{column} = r.{column}" for column in columns)
    return (
        f"SELECT :campaign_id, :prefix || {key}, :rule_id, :version, "
        f"{_one_or_null('programme_id')}, r.period, {_one_or_null('township_id')}, "
        f"{_one_or_null('village_id')}, "
        f"MIN(r.id), {ids}, COUNT(*), SUM(r.amount_fen), 'open', :found_at "
        f"FROM ({offending}) g JOIN roll_row r ON {joined} WHERE 1 = 1{scope.where()} "
        f"GROUP BY {', '.join(group)}"
    )


# The hash column a group kind's key ends with (its group's person or card).
GROUP_HASH = {
    "one_person_many_cards": "id_hash",
    "one_card_many_people": "card_hash",
    "paid_twice": "id_hash",
    "villages_across_rolls": "id_hash",
}


def rekey_after_rotation(session: Session, kind: str, rule_id: int) -> None:
    """A group kind's keys end with a hash, which a rotation of the keys changes: each key
    takes the new hash of its first row, so the rules still know what they raised."""
    column = GROUP_HASH.get(kind)
    if column is None:
        return
    session.execute(
        text(
            f'UPDATE discrepancy SET "key" = substr("key", 1, length("key") - {HASH_LENGTH}) '
            f"|| (SELECT r.{column} FROM roll_row r WHERE r.id = discrepancy.first_row_id) "
            "WHERE rule_id = :rule_id"
        ),
        {"rule_id": rule_id},
    )


def statement(kind: str, scope: Scope, dialect: str) -> str:
    """The SELECT of a kind (parameters as :name)."""
    if kind == "paid_after_death":
        source = "ref_deceased d CROSS JOIN roll_row r"
        return _row_select(source, "d.id_hash = r.id_hash AND r.paid_on > d.died_on", scope)
    if kind == "public_payroll":
        source = (
            "ref_payroll p CROSS JOIN roll_row r "
            "JOIN ref_standard s ON s.programme_id = r.programme_id"
        )
        condition = "p.id_hash = r.id_hash AND s.excludes_payroll = :true"
        return _row_select(source, condition, scope)
    if kind == "above_standard":
        source = "roll_row r JOIN ref_standard s ON s.programme_id = r.programme_id"
        condition = (
            "s.unit = '人' AND s.amount_fen IS NOT NULL "
            "AND r.amount_fen > s.amount_fen + :tolerance_fen"
        )
        return _row_select(source, condition, scope)
    if kind == "age_outside_band":
        source = "roll_row r JOIN ref_standard s ON s.programme_id = r.programme_id"
        age = "((r.paid_ymd - r.birth_ymd) / 10000)"
        condition = (
            f"((s.min_age IS NOT NULL AND {age} < s.min_age) "
            f"OR (s.max_age IS NOT NULL AND {age} > s.max_age))"
        )
        return _row_select(source, condition, scope)
    if kind == "village_mismatch":
        source = (
            "(SELECT DISTINCT id_hash FROM ref_beneficiary WHERE village_id IS NOT NULL) l "
            "CROSS JOIN roll_row r"
        )
        condition = (
            "l.id_hash = r.id_hash AND NOT EXISTS (SELECT 1 FROM ref_beneficiary b "
            "WHERE b.id_hash = r.id_hash AND b.village_id = r.village_id)"
        )
        return _row_select(source, condition, scope)
    if kind == "household_type_outside":
        # The person heads an active household of the lists whose recorded type is not one of
        # those the programme's standard names (stored joined by 、, household_types); an
        # unrecorded type on either side is not compared.
        source = (
            "household h CROSS JOIN roll_row r "
            "JOIN ref_standard s ON s.programme_id = r.programme_id"
        )
        condition = (
            "h.id_hash = r.id_hash AND h.campaign_id = :campaign_id AND h.active = :true "
            "AND h.household_type <> '' "
            "AND s.household_type <> '' "
            "AND '、' || s.household_type || '、' NOT LIKE '%、' || h.household_type || '、%'"
        )
        return _row_select(source, condition, scope)
    if kind == "one_person_many_cards":
        key = "r.period || ':' || r.id_hash"
        having = "COUNT(DISTINCT r.card_hash) > :max_cards"
        return _group_select(["r.period", "r.id_hash"], key, having, scope, dialect)
    if kind == "one_card_many_people":
        key = "r.period || ':' || r.card_hash"
        having = "COUNT(DISTINCT r.id_hash) > :max_people"
        return _group_select(["r.period", "r.card_hash"], key, having, scope, dialect)
    if kind == "paid_twice":
        key = "CAST(r.programme_id AS VARCHAR(12)) || ':' || r.period || ':' || r.id_hash"
        group = ["r.period", "r.id_hash", "r.programme_id"]
        return _group_select(group, key, "COUNT(*) > 1", scope, dialect)
    if kind == "villages_across_rolls":
        key = "r.period || ':' || r.id_hash"
        having = "COUNT(DISTINCT r.village_id) > :max_villages"
        return _group_select(["r.period", "r.id_hash"], key, having, scope, dialect)
    raise ValueError(f"unknown rule kind {kind}")


def raise_discrepancies(
    session: Session,
    *,
    kind: str,
    rule_id: int,
    rule_code: str,
    version: int,
    params: dict[str, int],
    scope: Scope,
    found_at: datetime,
) -> int:
    """Run one rule; returns how many new 疑点 it raised."""
    dialect = session.get_bind().dialect.name
    select_sql = statement(kind, scope, dialect)
    sql = text(
        f"INSERT INTO discrepancy ({_COLUMNS}) {select_sql} "
        'ON CONFLICT (campaign_id, "key") DO NOTHING'
    ).bindparams(bindparam("found_at", type_=UTCDateTime()))
    values: dict[str, Any] = {
        "prefix": f"{rule_code}:",
        "rule_id": rule_id,
        "version": version,
        "found_at": found_at,
        "programme_id": scope.programme_id,
        "period": scope.period,
        "campaign_id": scope.campaign_id,
        "true": True,
        **params,
    }
    used = {name: value for name, value in values.items() if f":{name}" in sql.text}
    result = session.execute(sql, used)
    return int(getattr(result, "rowcount", 0) or 0)
