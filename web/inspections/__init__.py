"""明察暗访 for the leading group office: the visits with the problems each found, recording
a visit, one visit with its ledger entries."""

from web.inspections.routes import bp

__all__ = ["bp"]
