"""Authorization from one place.

Every view declares who may reach it with `@allow(...)`; a request to a view without a
declaration is refused (404), so forgetting a rule fails closed, and a test walks the URL
map to catch it. Rules answer "may this kind of person open this kind of page"; whether a
particular record is within the person's units is answered by campaign.visibility, and
records outside are 404 too, so their existence is not revealed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])
RULE_ATTRIBUTE = "_ykt_access"


@dataclass(frozen=True)
class Access:
    public: bool = False
    roles: frozenset[str] = frozenset()  # empty: any signed-in person
    api: bool = False  # answers 401 instead of redirecting to the login page

    def admits(self, user: Any) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return not self.roles or any(r.role in self.roles for r in user.roles)


def allow(*roles: str, public: bool = False, api: bool = False) -> Callable[[F], F]:
    access = Access(public=public, roles=frozenset(roles), api=api)

    def decorate(view: F) -> F:
        setattr(view, RULE_ATTRIBUTE, access)
        return view

    return decorate


def access_of(endpoint: str | None) -> Access | None:
    if endpoint is None:
        return None
    if endpoint == "static":
        return Access(public=True)
    view = current_app.view_functions.get(endpoint)
    return getattr(view, RULE_ATTRIBUTE, None)


def init_app(app: Flask) -> None:
    app.before_request(_enforce)


def bearer_user() -> Any:
    """The person behind the request's bearer token, None without one (the API never trusts
    the session cookie, so it needs no CSRF token and a stolen cookie cannot drive it). A
    token that is unknown, expired, revoked or whose user may not log in now is refused with
    NotAuthenticated: 401 in the API's one error shape."""
    from campaign import tokens
    from web import db
    from web.security import client_address

    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header.removeprefix("Bearer ").strip()
    return tokens.user_for_token(db.session(), token, source=client_address())


def _enforce() -> Response | None:
    if request.endpoint is None:  # no route matched: let Flask answer 404/405
        return None
    access = access_of(request.endpoint)
    if access is None:
        abort(404)
    if access.public:
        return None
    if access.api:
        user = bearer_user()
        if user is None:
            abort(401)
        g.api_user = user  # known from here on: a refusal below is recorded under this name
        if not access.admits(user):
            abort(404)
        return None
    if not current_user.is_authenticated:
        if access.api:
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path))
    if not access.admits(current_user):
        abort(404)
    return None
