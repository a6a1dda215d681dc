"""群众举报 for the office and the units: the list, a phoned-in report, one report."""

from web.tip_offs.routes import bp

__all__ = ["bp"]
