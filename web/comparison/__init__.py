"""数据比对: the page of 疑点, runs and hit rates; and what a 核实 task page shows."""

from web.comparison import rule_pages  # noqa: F401 (its routes join the blueprint)
from web.comparison.routes import bp

__all__ = ["bp"]
