from __future__ import annotations

import pytest

from tests.engine.conformance.test_conformance import UNIT, WORKER
from tests.engine.host import OFFICE_UNIT, FakeHost


@pytest.fixture
def host() -> FakeHost:
    """One person who may work every lane of the conformance diagrams."""
    host = FakeHost()
    for unit, role in ((UNIT, "officer"), (UNIT, "reviewer"), (OFFICE_UNIT, "supervisor")):
        host.allow(WORKER, unit, role)
    return host
