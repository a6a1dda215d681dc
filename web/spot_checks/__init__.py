from web.spot_checks.routes import bp

__all__ = ["bp"]
