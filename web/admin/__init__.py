"""Administration: process definitions and their versions, the BPMN modeler, migration of
running cases, users, units and roles."""

from web.admin import definitions, people  # noqa: F401  (routes register on the blueprint)
from web.admin.blueprint import bp

__all__ = ["bp"]
