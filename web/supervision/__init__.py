"""专项督办 for the office and the units: the list of units' parts (the figures' drill-down),
issuing an order, one order with each unit's feedback."""

from web.supervision.routes import bp

__all__ = ["bp"]
