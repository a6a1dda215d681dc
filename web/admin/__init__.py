"""Administration, by the 三员: process definitions, the modeler, migration of running cases
and the unit tree (system administrator); accounts and roles (security administrator)."""

from web.admin import accounts, definitions, units  # noqa: F401  (routes register on the blueprint)
from web.admin.blueprint import bp

__all__ = ["bp"]
