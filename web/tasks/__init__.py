"""The task page: the form of the step, what the case is about, its history and files."""

from web.tasks.routes import bp

__all__ = ["bp"]
