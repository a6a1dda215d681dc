"""Driving the login form like a browser would: fetch the page, post with its CSRF token."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str, next_path: str = "") -> TestResponse:
    path = "/login" + (f"?next={next_path}" if next_path else "")
    token = csrf_token(client, path)
    return client.post(path, data={"username": username, "password": password, "csrf_token": token})


_ONCE = re.compile(r'name="once" value="([^"]+)"')


def form_tokens(client: FlaskClient, path: str) -> dict[str, str]:
    """The CSRF token and the one-time submission token of the form on a page."""
    page = client.get(path).get_data(as_text=True)
    csrf, once = _TOKEN.search(page), _ONCE.search(page)
    assert csrf and once, f"no CSRF or one-time token on {path}"
    return {"csrf_token": csrf.group(1), "once": once.group(1)}
