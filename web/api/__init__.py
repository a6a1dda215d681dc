"""JSON API under /api/v1, with bearer tokens (`ykt user token NAME`)."""

from web.api import cases, filings, problems, reports, tasks, tokens  # noqa: F401  (routes register on the blueprint)
from web.api.blueprint import bp

__all__ = ["bp"]
