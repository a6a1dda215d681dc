"""The landing page after login: who I am, where I work, where the campaign stands."""

from web.home.routes import bp

__all__ = ["bp"]
