"""Administration, by the 三员: process definitions, the modeler, migration of running cases,
the unit tree and the reference data under 基础数据 (system administrator); accounts and roles
(security administrator)."""

from web.admin import (  # noqa: F401  (routes register on the blueprint)
    accounts,
    campaign_settings,
    definitions,
    households,
    reference,
    units,
)
from web.admin.blueprint import bp

__all__ = ["bp"]
