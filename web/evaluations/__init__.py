"""效果评估: follow-up visits and questionnaires of closed problems, their figures and lists."""

from web.evaluations.routes import bp

__all__ = ["bp"]
