"""Login, logout, changing one's password, and one's own API tokens."""

from web.auth import tokens  # noqa: F401  (its routes register on the blueprint)
from web.auth.routes import bp

__all__ = ["bp"]
