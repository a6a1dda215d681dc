"""我的待办: the tasks of the units and roles a person holds."""

from web.inbox.routes import bp

__all__ = ["bp"]
