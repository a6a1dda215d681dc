"""督办: the leading group office's monitor."""

from web.supervise.routes import bp

__all__ = ["bp"]
