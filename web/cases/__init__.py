"""发起流程 (start a case of a deployed process) and the page of a case."""

from web.cases.routes import bp

__all__ = ["bp"]
