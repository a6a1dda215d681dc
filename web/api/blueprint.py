from __future__ import annotations

from flask import Blueprint, g

from campaign.models import User

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def api_user() -> User:
    user: User = g.api_user
    return user
