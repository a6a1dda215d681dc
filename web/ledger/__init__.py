"""问题台账: the ledger list, a page per problem, registering a problem."""

from web.ledger.routes import bp

__all__ = ["bp"]
