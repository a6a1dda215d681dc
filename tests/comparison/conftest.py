"""Fixtures of the 数据比对 tests: a key file of the test's own, the demo's villages, and
importing a generated data set through the real services."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.comparison_data import Dataset
from campaign import reference_import
from campaign.comparison import references, rolls
from campaign.comparison.protection import KeyFile
from campaign.current import active_campaign
from campaign.models import Unit


@pytest.fixture
def key_file(tmp_path: Path) -> KeyFile:
    return KeyFile(tmp_path / "keys" / "comparison.json")


def village_names(session: Session) -> list[str]:
    units = session.scalars(select(Unit).where(Unit.kind == "village").order_by(Unit.code))
    return [unit.name for unit in units]


def load(session: Session, key_file: KeyFile, data: Dataset) -> dict[str, int]:
    """Import the data set's reference lists, household lists and both rolls; returns the
    rolls' ids."""
    for kind in ("standards", "deceased", "payroll", "beneficiaries"):
        if getattr(data, kind):
            references.import_list(
                session, key_file, kind, io.BytesIO(data.list_csv(kind)), actor_name="tests"
            )
    if data.households:
        reference_import.import_sheet(
            session,
            reference_import.HOUSEHOLDS,
            io.BytesIO(data.list_csv("households")),
            campaign=active_campaign(session),
            key_file=key_file,
            actor_name="tests",
        )
    return import_rolls(session, key_file, data)


def import_rolls(
    session: Session, key_file: KeyFile, data: Dataset, file_suffix: str = ""
) -> dict[str, int]:
    """Import the data set's rolls (file names `<roll><file_suffix>.csv`); returns their ids."""
    ids = {}
    for roll, programme in data.programmes.items():
        done = rolls.import_roll(
            session,
            key_file,
            io.BytesIO(data.roll_csv(roll)),
            programme_code=programme,
            period="2022-06",
            file_name=f"{roll}{file_suffix}.csv",
            actor_name="tests",
        )
        ids[roll] = done.roll_id
    return ids
