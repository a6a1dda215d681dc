"""问题台账: the ledger list, a page per problem, registering a problem."""

from web.ledger import transfer  # noqa: F401  (routes register on the blueprint)
from web.ledger.routes import bp

__all__ = ["bp"]
