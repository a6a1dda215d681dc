"""Where a request comes from, for the audit record. campaign.audit keeps it in a context
variable (campaign/ knows nothing of Flask); it is set here for the length of each request,
so every record the request makes, kept refusals included, names the address and browser.

The address is the connecting peer's (`request.remote_addr`). Behind a reverse proxy that is
the proxy: the proxy's own log, or werkzeug's ProxyFix configured for that proxy, gives the
person's."""

from __future__ import annotations

from flask import Flask, g, request

from campaign import audit
from web.errors import API_PREFIX


def init_app(app: Flask) -> None:
    # Registered before the other before_request hooks: authorization records refusals too.
    app.before_request(_enter)
    app.teardown_request(_leave)


def _enter() -> None:
    source = "api" if request.path.startswith(API_PREFIX) else "web"
    g.audit_client = audit.enter_client(
        audit.Client(
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
            source=source,
        )
    )


def _leave(_exc: BaseException | None) -> None:
    token = g.pop("audit_client", None)
    if token is not None:
        audit.leave_client(token)
