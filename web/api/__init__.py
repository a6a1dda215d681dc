"""JSON API under /api/v1, with bearer tokens (`ykt user token NAME`)."""

from web.api import (  # noqa: F401  (routes register on the blueprint)
    cases,
    comparison,
    evidence,
    filings,
    notices,
    obligations,
    office,
    problems,
    reference,
    reports,
    tasks,
    tokens,
)
from web.api.blueprint import bp

__all__ = ["bp"]
