"""统计报表: 附件2 and 附件3 on screen with every cell traced to its records, and as Excel."""

from web.reports import filing_routes  # noqa: F401  (routes register on the blueprint)
from web.reports.routes import bp

__all__ = ["bp"]
