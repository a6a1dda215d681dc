"""问责 for the office and the units: the decisions, proposing one from a unit's overdue tasks
and returned reports, one decision with its grounds."""

from web.accountability.routes import bp

__all__ = ["bp"]
