"""The caller's own API tokens: listed and revoked through the API itself."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from campaign import tokens
from campaign.models import ApiToken
from core import clock
from web import db
from web.api.blueprint import api_user, bp
from web.authz import allow


def token_json(row: ApiToken) -> dict[str, Any]:
    """What is shown of a token: never the token, which only its holder has."""

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": row.id,
        "prefix": row.prefix,
        "created_at": when(row.created_at),
        "last_used_at": when(row.last_used_at),
        "expires_at": when(row.expires_at),
        "revoked_at": when(row.revoked_at),
        "status": row.status(clock.now()),
    }


@bp.get("/tokens")
@allow(api=True)
def list_tokens() -> ResponseReturnValue:
    me = api_user()
    rows = tokens.tokens_of(db.session(), me, actor=me)
    return jsonify({"items": [token_json(r) for r in rows]})


@bp.delete("/tokens/<int:token_id>")
@allow(api=True)
def revoke_token(token_id: int) -> ResponseReturnValue:
    return jsonify(token_json(tokens.revoke_token(db.session(), token_id, api_user())))
