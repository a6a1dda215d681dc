"""报送管理: the reports units owe, their state, the filed report, 退回 and the export."""

from web.obligations.routes import bp

__all__ = ["bp"]
