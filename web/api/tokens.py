"""The caller's own API tokens: listed and revoked through the API itself."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields

from campaign import tokens
from campaign.models import ApiToken
from core import clock
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare
from web.authz import allow


class Token(s.Schema):
    """What is shown of a token: its prefix, never the token itself."""

    id = fields.Integer()
    prefix = fields.String(metadata={"example": "ykt_Ab12Cd"})
    created_at = s.When()
    last_used_at = s.When(allow_none=True)
    expires_at = s.When()
    revoked_at = s.When(allow_none=True)
    status = s.Choice(["active", "expired", "revoked"])


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
@declare(
    "我的 API 令牌（新签发的在前，含已过期、已吊销的）",
    {200: Answer("令牌", s.items_of(Token, "Tokens"))},
)
def list_tokens() -> ResponseReturnValue:
    me = api_user()
    rows = tokens.tokens_of(db.session(), me, actor=me)
    return {"items": [token_json(r) for r in rows]}


@bp.delete("/tokens/<int:token_id>")
@allow(api=True)
@declare(
    "吊销我的一个令牌（安全管理员可吊销任何人的）", {200: Answer("已吊销", Token)}, refusals=(409,)
)
def revoke_token(token_id: int) -> ResponseReturnValue:
    return token_json(tokens.revoke_token(db.session(), token_id, api_user()))
