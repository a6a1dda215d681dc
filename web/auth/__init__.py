"""Login, logout and changing one's password."""

from web.auth.routes import bp

__all__ = ["bp"]
