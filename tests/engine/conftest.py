from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core import schema
from core.db import Database
from engine import cases, definitions
from engine.host import Actor, CaseContext
from engine.models import Case, ProcessDefinition
from tests.databases import fresh_database_url
from tests.engine.host import FakeHost

DIAGRAMS = Path(__file__).parent / "diagrams"
UNIT = 10
OFFICER = Actor(1, "经办人甲")
REVIEWER = Actor(2, "审核人乙")
OUTSIDER = Actor(3, "外单位丙")


def diagram(name: str, **replacements: str) -> str:
    text = (DIAGRAMS / f"{name}.bpmn").read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, f"{old!r} not in {name}.bpmn"
        text = text.replace(old, new)
    return text


@pytest.fixture
def host() -> FakeHost:
    host = FakeHost()
    host.allow(OFFICER, UNIT, "officer")
    host.allow(REVIEWER, UNIT, "reviewer")
    host.allow(OUTSIDER, 99, "officer")
    return host


@pytest.fixture
def rectify_definition(db_session: Session, host: FakeHost) -> ProcessDefinition:
    definition, _ = definitions.deploy(db_session, diagram("rectify"), host, deployed_by="test")
    return definition


def start_rectify(session: Session, host: FakeHost, **data: object) -> Case:
    return cases.start_case(
        session,
        host,
        "test_rectify",
        data=dict(data),
        context=CaseContext(owning_unit_id=UNIT),
        actor=OFFICER,
    )


@pytest.fixture(scope="module")
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database of the module's own, for tests that need real concurrent transactions."""
    with fresh_database_url(tmp_path_factory.mktemp("engine")) as url:
        db = Database(url)
        schema.upgrade(db)
        yield db
        db.dispose()
