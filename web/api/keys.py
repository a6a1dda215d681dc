"""Idempotency keys of the API: a POST that creates something and carries an
`Idempotency-Key` header takes effect once per key and user (campaign.submissions)."""

from __future__ import annotations

from flask import request

from campaign import submissions
from campaign.models import FormSubmission
from core.errors import MalformedRequest
from web import db
from web.api.blueprint import api_user

KEY_REFUSED = f"Idempotency-Key 须为 1 至 {submissions.KEY_LIMIT} 个字符"


def claim_key() -> FormSubmission | None:
    """Claims the request's key in its transaction; a repeat raises AlreadySubmitted (409
    with the first request's location). A request refused later releases it (rollback)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= submissions.KEY_LIMIT:
        raise MalformedRequest(KEY_REFUSED, {"Idempotency-Key": KEY_REFUSED})
    return submissions.claim(db.session(), api_user(), submissions.key_token(api_user(), key))
